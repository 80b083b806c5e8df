import Fastify from 'fastify';

/** Baseline 1: bare fastify answering the same JSON request with a constant, no I/O. */
const app = Fastify({ logger: false });
app.post('/v1/chat', () => ({ hello: 'world' }));
const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`LISTENING ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
