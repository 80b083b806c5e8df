import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { OPTIONS } from '../config.js';

const read = (path: string): Promise<string> => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('Helm chart', () => {
  it('ships a byte-identical copy of crds/ for templates/crds.yaml (npm run generate writes it)', async () => {
    const source = await read('crds/chatfleet.io_chatbotdeployments.yaml');
    const chart = await read('charts/chatfleet/files/crds/chatfleet.io_chatbotdeployments.yaml');
    expect(chart.length).toBeGreaterThan(1000);
    expect(chart === source).toBe(true);
  });

  it('passes only environment variables the operator reads (operator/config.ts)', async () => {
    const template = await read('charts/chatfleet/templates/deployment.yaml');
    const names = [...template.matchAll(/^\s+- name: ([A-Z_]+)$/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(10);
    // POD_NAMESPACE is read through the default of the Lease namespace.
    const known = new Set([...OPTIONS.map((o) => o.env), 'POD_NAMESPACE']);
    expect(names.filter((n) => !known.has(n!))).toEqual([]);
  });
});
