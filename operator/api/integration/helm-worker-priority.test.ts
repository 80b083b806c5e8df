// The chart's optional PriorityClass for the fleets' worker pods (workerPriorityClass), with the real helm
// binary and the real kube-apiserver of the test env: off by default, rendered below the chat pods'
// priority and never preempting, accepted by the API server, and its values checked by the schema.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HelmChart, parse } from './helm-support.js';
import { cli } from './test-env.js';

const chart = new HelmChart('wprio');
beforeAll(() => chart.setup());
afterAll(() => chart.teardown());

const priorityClasses = (yaml: string) => parse(yaml).filter((m) => m.kind === 'PriorityClass');

describe('workerPriorityClass', () => {
  it('is not rendered by default', async () => {
    expect(priorityClasses(await chart.template('crds.install=false'))).toEqual([]);
  });

  it('create=true renders one the API server accepts: below 0, not the default, never preempting', async () => {
    const name = `${chart.release}-workers`;
    const yaml = await chart.template(
      'crds.install=false',
      'workerPriorityClass.create=true',
      `workerPriorityClass.name=${name}`,
    );
    const [pc, ...more] = priorityClasses(yaml);
    expect(more).toEqual([]);
    expect(pc).toMatchObject({
      apiVersion: 'scheduling.k8s.io/v1',
      metadata: { name },
      value: -100,
      globalDefault: false,
      preemptionPolicy: 'Never',
    });
    const { stdout } = await cli(
      chart.env,
      chart.env.kubectl,
      ['apply', '--dry-run=server', '-f', '-'],
      JSON.stringify(pc),
    );
    expect(stdout).toContain(`priorityclass.scheduling.k8s.io/${name} created (server dry run)`);
  });

  it.each<[string, string, RegExp]>([
    [
      'a value above the user range',
      'workerPriorityClass.value=2000000000',
      /at '\/workerPriorityClass\/value': maximum/,
    ],
    [
      'a name that is not a DNS name',
      'workerPriorityClass.name=Low_Prio',
      /at '\/workerPriorityClass\/name'/,
    ],
    ['an unknown key', 'workerPriorityClass.enabled=true', /additional properties 'enabled' not allowed/],
  ])('refuses %s', async (_what, set, message) => {
    expect(await chart.refusal(set)).toMatch(message);
  });
});
