import { jest } from '@jest/globals';

// Integration and e2e tests wait on real processes (API server, Redis, Kafka); a unit
// test's 5 s default would turn slowness into flakiness.
jest.setTimeout(120_000);
