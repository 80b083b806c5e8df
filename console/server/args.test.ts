import { describe, expect, it } from '@jest/globals';
import { parseDashboardArgs } from './args.js';

describe('parseDashboardArgs', () => {
  it.each([
    [[], {}, { port: 3100, allowActions: false, help: false }],
    [['--port', '0'], {}, { port: 0, allowActions: false, help: false }],
    [
      ['--port=8080', '-n', 'team-a'],
      {},
      { port: 8080, namespace: 'team-a', allowActions: false, help: false },
    ],
    [
      ['--namespace=team-a', '--context', 'kind'],
      {},
      { port: 3100, namespace: 'team-a', context: 'kind', allowActions: false, help: false },
    ],
    [
      ['--prometheus-url', 'http://127.0.0.1:9090'],
      {},
      { port: 3100, prometheusUrl: 'http://127.0.0.1:9090', allowActions: false, help: false },
    ],
    [
      [],
      { PROMETHEUS_URL: 'http://127.0.0.1:19090' },
      { port: 3100, prometheusUrl: 'http://127.0.0.1:19090', allowActions: false, help: false },
    ],
    [
      ['--prometheus-url=http://a:1'],
      { PROMETHEUS_URL: 'http://b:2' },
      { port: 3100, prometheusUrl: 'http://a:1', allowActions: false, help: false },
    ],
    [['--allow-actions', '-n', 'a'], {}, { port: 3100, namespace: 'a', allowActions: true, help: false }],
    [['-h'], {}, { port: 3100, allowActions: false, help: true }],
  ])('%j env %j', (argv, env, want) => expect(parseDashboardArgs(argv, env)).toEqual(want));

  it.each([
    [['--port'], /--port needs a value/],
    [['--port', '-n'], /--port needs a value/],
    [['--port', '70000'], /--port must be 0..65535/],
    [['--port', '1e3'], /--port must be 0..65535/],
    [['-n', 'Bad_NS'], /not a namespace name/],
    [['--prometheus-url', 'file:///etc/passwd'], /must be http/],
    [['--prometheus-url', 'not a url'], /is not a URL/],
    [['--bogus'], /unknown flag --bogus/],
    [['extra'], /unexpected argument extra/],
    [['--allow-actions=yes'], /unknown flag --allow-actions=yes/],
  ])('%j fails', (argv, message) => expect(() => parseDashboardArgs(argv)).toThrow(message));
});
