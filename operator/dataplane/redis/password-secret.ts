/**
 * The generated Redis password Secret `<cr>-redis-auth` of managed Redis, kept by the Secret
 * informer (operator/controller/manager.ts selects managed-by, so it holds only Secrets the operator
 * created): a steady state reads it from the cache (no request), a deleted one is recreated with a
 * new password as soon as the informer reports the deletion, with a Normal Event
 * RedisPasswordGenerated. The bot pod template carries a stamp of the Secret
 * (ANNOTATION_REDIS_PASSWORD) that moves to the new one once every Redis pod runs with it, so the
 * bot pods roll by themselves (decisions: ./password-rotation.ts).
 */
import type { ComponentContext, ComponentEvent } from '../../controller/component.js';
import { ownerReferenceFor } from '../../controller/ownership.js';
import type { ObjectCache } from '../../controller/reconciler.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict } from '../../kube/errors.js';
import { Resources } from '../../kube/resources.js';
import type { KubeObject } from '../../workload/types.js';
import { labelled } from '../contribution.js';
import { fleetKey } from '../../controller/fleet-key.js';
import { nameOf, namespaceOf } from '../identity.js';
import { MANAGED_BY, redisSelector } from '../labels.js';
import type { ChatbotDeployment } from '../types.js';
import { redisNames } from './names.js';
import { ANNOTATION_REDIS_PASSWORD, botPasswordStamp, passwordSecretStep } from './password-rotation.js';
import type { KnownSecret, SecretLike, SecretStep } from './password-rotation.js';
import { generateRedisPassword, redisPasswordSecret } from './secret.js';

export type PasswordKube = Pick<KubeClient, 'get' | 'create'>;

export interface PasswordCaches {
  /** Absent (tests, older wiring): no watch, the Secret is read once per CR uid. */
  secrets?: ObjectCache & { readonly watching: boolean };
  pods: ObjectCache;
  statefulSets: ObjectCache;
}

export interface PasswordContribution {
  podAnnotations: Record<string, string>;
  events: ComponentEvent[];
}

type SecretObject = KubeObject & SecretLike;

const REDIS_CONTAINER = 'redis';

export class RedisPasswordSecrets {
  private readonly known = new Map<string, KnownSecret>();

  constructor(
    private readonly kube: PasswordKube,
    private readonly caches: PasswordCaches,
  ) {}

  async reconcile(ctx: ComponentContext): Promise<PasswordContribution> {
    const key = fleetKey(ctx.cbd);
    const events: ComponentEvent[] = [];
    const secret = await this.ensure(ctx, key, events);
    const stamp = botPasswordStamp({
      current: templateAnnotation(ctx.deployment),
      secret,
      redisStartedAt: this.redisStartedAt(ctx.cbd),
    });
    return { podAnnotations: stamp ? { [ANNOTATION_REDIS_PASSWORD]: stamp } : {}, events };
  }

  forget(key: string): void {
    this.known.delete(key);
  }

  private async ensure(
    ctx: ComponentContext,
    key: string,
    events: ComponentEvent[],
  ): Promise<SecretLike | undefined> {
    const { ns, name, crUid } = secretRef(ctx.cbd);
    const now = ctx.now.getTime();
    const cached = this.caches.secrets?.get(ns, name);
    const known = this.known.get(key);
    switch (this.step(cached !== undefined, known, crUid, now)) {
      case 'cached':
        this.known.set(key, { crUid, secret: cached as SecretObject, seenInCache: true, at: now });
        return cached;
      case 'known':
        return known?.secret;
      case 'get':
        return (await this.readOnce(ctx, key)) ?? this.create(ctx, key, events, known !== undefined);
      case 'create':
        return this.create(ctx, key, events, known !== undefined);
    }
  }

  private step(cached: boolean, known: KnownSecret | undefined, crUid: string, now: number): SecretStep {
    const watching = this.caches.secrets?.watching ?? false;
    return passwordSecretStep({ cached, known, crUid, watching, now });
  }

  /** A Secret the cache cannot show: one GET per REREAD_MS (./redis/password-rotation.ts). */
  private async readOnce(ctx: ComponentContext, key: string): Promise<SecretLike | undefined> {
    const { ns, name, crUid } = secretRef(ctx.cbd);
    const live = await this.kube.get<SecretObject>(Resources.Secret, ns, name);
    if (live) {
      const at = ctx.now.getTime();
      this.known.set(key, { crUid, secret: live, seenInCache: false, at, outsideCache: true });
    }
    return live;
  }

  /** POST a new password; 409 means it exists after all (created meanwhile, or not ours): read it. */
  private async create(
    ctx: ComponentContext,
    key: string,
    events: ComponentEvent[],
    hadOne: boolean,
  ): Promise<SecretLike | undefined> {
    const cbd = ctx.cbd;
    const { ns, name, crUid } = secretRef(cbd);
    const now = ctx.now.getTime();
    const desired = redisPasswordSecret(cbd, generateRedisPassword(), ownerReferenceFor(cbd)).toJSON();
    try {
      const created = await this.kube.create<SecretObject>(Resources.Secret, ns, desired);
      this.known.set(key, { crUid, secret: created, seenInCache: false, at: now });
      const rotated = hadOne || templateAnnotation(ctx.deployment) !== undefined;
      ctx.log.info({ secret: name, rotated }, 'generated the Redis password Secret');
      events.push(generatedEvent(name, rotated));
      return created;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    const live = await this.kube.get<SecretObject>(Resources.Secret, ns, name);
    if (!live) return undefined; // deleted again meanwhile: the informer's event brings us back
    const ours = live.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY;
    this.known.set(key, { crUid, secret: live, seenInCache: false, at: now, outsideCache: !ours });
    return live;
  }

  /**
   * When the Redis container of every Redis pod of the fleet started: pods of the fleet's own
   * StatefulSets only (by uid), so a pod carrying the labels cannot hold a rotation back or let it on.
   */
  private redisStartedAt(cbd: ChatbotDeployment): (string | undefined)[] {
    const ns = namespaceOf(cbd);
    const selector = redisSelector(nameOf(cbd));
    const sets = new Set(
      labelled(this.caches.statefulSets.list(ns), selector)
        .filter((s) => controllerUid(s) === cbd.metadata.uid)
        .map((s) => s.metadata.uid),
    );
    return labelled(this.caches.pods.list(ns), selector)
      .filter((p) => sets.has(controllerUid(p)))
      .map((p) => runningSince(p));
  }
}

function generatedEvent(secret: string, rotated: boolean): ComponentEvent {
  return {
    type: 'Normal',
    reason: 'RedisPasswordGenerated',
    action: 'Create',
    note: rotated
      ? `Secret ${secret} was missing (deleted to rotate the password?): generated a new Redis password. ` +
        'Restart the Redis pods to apply it; the bot pods then roll to it by themselves (docs/dataplane.md "Password")'
      : `generated the Redis password in Secret ${secret}`,
  };
}

function secretRef(cbd: ChatbotDeployment): { ns: string; name: string; crUid: string } {
  return {
    ns: namespaceOf(cbd),
    name: redisNames.passwordSecret(nameOf(cbd)),
    crUid: cbd.metadata.uid ?? '',
  };
}

function templateAnnotation(deployment: KubeObject | undefined): string | undefined {
  const spec = deployment?.spec as
    { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined;
  return spec?.template?.metadata?.annotations?.[ANNOTATION_REDIS_PASSWORD];
}

function controllerUid(obj: KubeObject): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true)?.uid;
}

function runningSince(pod: KubeObject): string | undefined {
  const status = pod.status as
    { containerStatuses?: { name: string; state?: { running?: { startedAt?: string } } }[] } | undefined;
  return status?.containerStatuses?.find((c) => c.name === REDIS_CONTAINER)?.state?.running?.startedAt;
}
