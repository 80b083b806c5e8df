import { describe, expect, it } from '@jest/globals';
import { appliedBy, project } from './managed-fields.js';

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'a',
    uid: 'u1',
    labels: { app: 'a', other: 'x' },
    managedFields: [
      {
        manager: 'op',
        operation: 'Apply',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:name': {} } },
            'f:selector': {},
          },
        },
      },
      { manager: 'op', operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:x': {} } } },
      {
        manager: 'other',
        operation: 'Update',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:other': {} } } },
      },
    ],
  },
  spec: {
    clusterIP: '10.0.0.1',
    ports: [
      { port: 80, protocol: 'TCP', name: 'http', targetPort: 8080 },
      { port: 81, protocol: 'TCP', name: 'x' },
    ],
    selector: { app: 'a' },
  },
  status: { x: 1, y: 2 },
};

describe('appliedBy', () => {
  it.each([
    [
      'the manager fields only, server defaults and allocations left out',
      undefined,
      {
        metadata: { labels: { app: 'a' } },
        spec: { ports: [{ port: 80, name: 'http' }], selector: { app: 'a' } },
      },
    ],
    ['the status subresource entry', 'status', { status: { x: 1 } }],
  ])('%s', (_name, sub, want) => {
    expect(appliedBy(service, 'op', sub)).toEqual(want);
  });

  it('set values (v:) keep the listed items, in live order', () => {
    expect(project({ f: ['b', 'a', 'c'] }, { 'f:f': { 'v:"a"': {}, 'v:"b"': {} } })).toEqual({
      f: ['b', 'a'],
    });
  });

  it('a field the manager names but the object lacks is absent', () => {
    expect(project({ a: 1 }, { 'f:a': {}, 'f:b': {} })).toEqual({ a: 1 });
  });
});
