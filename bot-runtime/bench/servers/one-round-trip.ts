import Fastify from 'fastify';
import { Redis } from 'ioredis';

/**
 * Baseline 2: the floor of per-turn I/O. Exactly one pipelined Redis round trip per request:
 * read the session list and append to it (bounded and with a TTL, as a real session would be).
 * Same client options as the runtime (auto-pipelining), so only the work per turn differs.
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const app = Fastify({ logger: false });
app.post<{ Body: { message: string; sessionId: string } }>('/v1/chat', async (req) => {
  const key = `bench:{sess:${req.body.sessionId}}:turns`;
  const res = await redis
    .pipeline()
    .lrange(key, -20, -1)
    .rpush(key, req.body.message)
    .ltrim(key, -20, -1)
    .expire(key, 600)
    .exec();
  return { sessionId: req.body.sessionId, turns: (res?.[0]?.[1] as string[] | undefined)?.length ?? 0 };
});
const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`LISTENING ${url}\n`);
process.on(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => redis.quit())
      .then(() => process.exit(0)),
);
