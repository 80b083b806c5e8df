import { describe, expect, it } from '@jest/globals';
import type { ChatbotDeploymentSpecInput, KafkaSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import { desiredTopics, tasksConsumers } from './topics.js';

function cbd(kafka?: KafkaSpecInput, maxReplicas?: number): ChatbotDeployment {
  return testCbd({
    metadata: { uid: 'u' },
    ...(kafka ? { kafka } : {}),
    ...(maxReplicas ? { maxReplicas } : {}),
  });
}

describe('desiredTopics', () => {
  it('no kafka block -> no topics', () => {
    expect(desiredTopics(cbd())).toEqual([]);
  });

  const kafka = { bootstrapServers: ['b:9092'], topics: [] };
  const defaults = (spec: Partial<ChatbotDeploymentSpecInput>, maxReplicas: number) =>
    desiredTopics(testCbd({ metadata: { uid: 'u' }, kafka, maxReplicas, spec })).map((t) => [
      t.name,
      t.purpose,
      t.partitions,
      t.replicationFactor,
    ]);
  it.each([
    {
      what: 'workers off: events and tasks with spec.scaling.maxReplicas partitions',
      spec: { workers: { enabled: false } },
      maxReplicas: 8,
      want: [
        ['bots.support.events', 'events', 8, undefined],
        ['bots.support.tasks', 'tasks', 8, undefined],
      ],
    },
    {
      what: 'workers on (enabled unset: the default with Kafka): a DLQ, tasks sized for the larger pool',
      spec: { workers: {} },
      maxReplicas: 8,
      want: [
        ['bots.support.events', 'events', 8, undefined],
        ['bots.support.tasks', 'tasks', 10, undefined],
        ['bots.support.tasks.dlq', 'dlq', 10, undefined],
      ],
    },
    {
      what: 'more bots than workers: tasks keep the bots count',
      spec: { workers: { enabled: true, maxReplicas: 4 } },
      maxReplicas: 12,
      want: [
        ['bots.support.events', 'events', 12, undefined],
        ['bots.support.tasks', 'tasks', 12, undefined],
        ['bots.support.tasks.dlq', 'dlq', 12, undefined],
      ],
    },
  ])('empty list, $what', ({ spec, maxReplicas, want }) => {
    expect(defaults(spec, maxReplicas)).toEqual(want);
  });

  it('explicit topics are taken as declared', () => {
    const topics = desiredTopics(
      cbd({
        bootstrapServers: ['b'],
        topics: [
          { name: 'x', partitions: 3, replicationFactor: 2, config: { a: '1' } },
          { name: 'y', adopt: true },
        ],
      }),
    );
    expect(topics).toEqual([
      {
        name: 'x',
        partitions: 3,
        replicationFactor: 2,
        config: { a: '1' },
        purpose: undefined,
        adopt: false,
      },
      {
        name: 'y',
        partitions: 3,
        replicationFactor: 1,
        config: {},
        purpose: undefined,
        adopt: true,
      }, // partitions and replicationFactor: the CRD's defaults, as the API server stores them
    ]);
  });
});

describe('tasksConsumers', () => {
  it.each([
    {
      what: 'workers off: the bots bound',
      spec: { workers: { enabled: false } },
      want: [12, 'spec.scaling.maxReplicas'],
    },
    {
      what: 'workers on: the pool bound',
      spec: { workers: { maxReplicas: 4 } },
      want: [4, 'spec.workers.maxReplicas'],
    },
  ] as const)('tasksConsumers, $what', ({ spec, want }) => {
    const c = tasksConsumers(testCbd({ kafka: { bootstrapServers: ['b'] }, maxReplicas: 12, spec }));
    expect([c.maxReplicas, c.field]).toEqual(want);
  });
});
