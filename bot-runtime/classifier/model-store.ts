import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { Model, parseBundle } from './bundle.js';

export interface ModelSource {
  /** A file path or an http(s) URL. */
  location: string;
  versionOverride: string | undefined;
  pollIntervalMs: number;
  /** Bound of each model's memo (Model.DEFAULT_MEMO_MAX_BYTES when unset). */
  memoMaxBytes?: number;
}

async function fetchText(location: string): Promise<string> {
  if (/^https?:\/\//i.test(location)) {
    const res = await fetch(location, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET ${location} answered ${res.status}`);
    return res.text();
  }
  return readFile(location, 'utf8');
}

function buildModel(text: string, source: ModelSource): Model {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error('bundle is not valid JSON', { cause: err });
  }
  return new Model(parseBundle(doc), source.versionOverride, source.memoMaxBytes);
}

/**
 * Holds the model being served and reloads it when the bundle changes. Polling by content digest
 * (not fs.watch) survives the symlink swap Kubernetes does when a ConfigMap volume updates, and
 * works for URLs too. A broken bundle keeps the last good model: the error is logged and counted.
 */
export class ModelStore {
  private model: Model;
  private digest: string;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  private constructor(
    private readonly source: ModelSource,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    initial: Model,
    digest: string,
  ) {
    this.model = initial;
    this.digest = digest;
    this.publish();
  }

  /** Loads the initial bundle; failure here is fatal (there is nothing to serve). */
  static async open(source: ModelSource, log: Logger, metrics: Metrics): Promise<ModelStore> {
    const text = await fetchText(source.location);
    const model = buildModel(text, source);
    metrics.bundleReloads.inc({ result: 'ok' });
    return new ModelStore(source, log, metrics, model, sha(text));
  }

  get current(): Model {
    return this.model;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.source.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks the source once; resolves true when a new model was installed. */
  async poll(): Promise<boolean> {
    if (this.polling) return false;
    this.polling = true;
    try {
      const text = await fetchText(this.source.location);
      const digest = sha(text);
      if (digest === this.digest) return false;
      this.digest = digest; // remember bad digests too, so one bad edit is counted once
      return this.install(text);
    } catch (err) {
      return this.keepLastGood(err, 'cannot read model bundle; keeping the last good one');
    } finally {
      this.polling = false;
    }
  }

  private install(text: string): boolean {
    try {
      const next = buildModel(text, this.source);
      const previous = this.model.version;
      this.model = next;
      this.metrics.bundleReloads.inc({ result: 'ok' });
      this.publish();
      this.log.info({ previous, version: next.version }, 'model bundle reloaded');
      return true;
    } catch (err) {
      return this.keepLastGood(err, 'invalid model bundle; keeping the last good one');
    }
  }

  /** A reload that failed: logged and counted; the model being served stays. */
  private keepLastGood(err: unknown, message: string): false {
    this.log.error({ err, bundle: this.source.location }, message);
    this.metrics.bundleReloads.inc({ result: 'error' });
    return false;
  }

  private publish(): void {
    this.metrics.modelInfo.reset();
    this.metrics.modelInfo.set({ model_version: this.model.version, bundle: this.model.name }, 1);
  }
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
