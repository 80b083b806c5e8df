/** The Lua scripts of the session store (session-store.ts): one round trip, atomic, per step. */

/**
 * The owner check every session script starts with. KEYS[owner] holds the owner's digest; its
 * existence is the session's existence. A session another principal owns, or an id the client
 * chose that does not exist, is "not found" (the caller answers 404 without a hint which). Only a
 * session the server just made (`new`) is created, owned by the caller, with the session TTL.
 */
const OWNER_CHECK_LUA = (
  ownerKey: string,
  owner: string,
  mode: string,
  ttl: string,
  notFound: string,
): string => `
local owner = redis.call('GET', ${ownerKey})
if owner then
  if owner ~= ${owner} then return ${notFound} end
elseif ${mode} ~= 'new' then
  return ${notFound}
else
  redis.call('SET', ${ownerKey}, ${owner}, 'EX', ${ttl})
end`;

/**
 * Appends one turn; returns the session's new turn number, or -1 when the session is not the
 * caller's. Keys: turns list, counter, rollout pin, owner, summary (every TTL follows the turns';
 * EXPIRE of an absent key is a no-op). ARGV: record, max turns, TTL, owner digest, mode.
 */
export const APPEND_TURN_LUA = `${OWNER_CHECK_LUA('KEYS[4]', 'ARGV[4]', 'ARGV[5]', 'ARGV[3]', '-1')}
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
return seq`;

/**
 * The session's pin, set atomically on first sight. Keys: pin, counter, owner. ARGV: the new
 * conversation's track and version, the track and version of a session that already has turns
 * but no pin (it started before the rollout: stable), TTL, owner digest, mode. Returns
 * {track, version, status}, or {'', '', 'not_found'}.
 */
export const PIN_LUA = `${OWNER_CHECK_LUA('KEYS[3]', 'ARGV[6]', 'ARGV[7]', 'ARGV[5]', "{'', '', 'not_found'}")}
local p = redis.call('HMGET', KEYS[1], 'track', 'version')
if p[1] and p[2] then return {p[1], p[2], 'kept'} end
local t, v, status = ARGV[1], ARGV[2], 'new'
if redis.call('EXISTS', KEYS[2]) == 1 then t, v, status = ARGV[3], ARGV[4], 'legacy' end
redis.call('HSET', KEYS[1], 'track', t, 'version', v)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {t, v, status}`;

/** Compare-and-set of a pin. Keys: pin. ARGV: expected track, version, new track, version, TTL. */
export const REPIN_LUA = `
local p = redis.call('HMGET', KEYS[1], 'track', 'version')
if p[1] == ARGV[1] and p[2] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'track', ARGV[3], 'version', ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return {ARGV[3], ARGV[4]}
end
return {p[1] or ARGV[3], p[2] or ARGV[4]}`;

/**
 * Reads the counter, the newest ARGV[1] turns, the pin and the summary atomically, if the session
 * is the caller's (ARGV[2]: owner digest); else nil. Keys: owner, counter, turns list, pin,
 * summary. A script, not MULTI: ioredis follows a MOVED redirect for a single command, but a MULTI
 * sent with a stale slot map (a client that started while a new shard joined) came back with MOVED
 * errors, timeouts or even another command's replies (found on the real node; see
 * e2e/real-node/redis.test.ts).
 */
export const HISTORY_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return false end
local pin = redis.call('HMGET', KEYS[4], 'track', 'version')
local summary = redis.call('HMGET', KEYS[5], 'text', 'through')
return {redis.call('GET', KEYS[2]) or false, redis.call('LRANGE', KEYS[3], -tonumber(ARGV[1]), -1),
  pin[1] or false, pin[2] or false, summary[1] or false, summary[2] or false}`;

/**
 * What the worker summarises, read atomically without an owner check (the worker acts for the
 * fleet): counter, every stored turn, the summary so far. Keys: counter, turns, summary, owner.
 * Nil when the session is gone (erased or expired).
 */
export const SUMMARY_SOURCE_LUA = `
if redis.call('EXISTS', KEYS[4]) == 0 then return false end
local summary = redis.call('HMGET', KEYS[3], 'text', 'through')
return {redis.call('GET', KEYS[1]) or false, redis.call('LRANGE', KEYS[2], 0, -1),
  summary[1] or false, summary[2] or false}`;

/**
 * Stores a summary through turn ARGV[2] if the stored one still covers ARGV[3] turns (what the
 * worker read): a compare-and-set, so two workers never overwrite each other's newer summary, and
 * a repeat of the same task is a no-op (its effect and its "done" are one write). It never touches
 * the turns list, so turns appended meanwhile are all kept; the summary expires with the session
 * (its owner key's TTL). Keys: summary, owner. ARGV: text, through, expected through, TTL, task id. Returns 'done', 'duplicate', 'conflict' or 'gone'.
 */
export const STORE_SUMMARY_LUA = `
if redis.call('EXISTS', KEYS[2]) == 0 then return 'gone' end
local through = tonumber(redis.call('HGET', KEYS[1], 'through') or '0')
if through >= tonumber(ARGV[2]) then return 'duplicate' end
if through ~= tonumber(ARGV[3]) then return 'conflict' end
redis.call('HSET', KEYS[1], 'text', ARGV[1], 'through', ARGV[2], 'task', ARGV[5])
local ttl = redis.call('TTL', KEYS[2])
redis.call('EXPIRE', KEYS[1], ttl > 0 and ttl or ARGV[4])
return 'done'`;

/**
 * Erases a session if it is the caller's (ARGV[1]: owner digest; the same rule as reading it).
 * Keys: sessionKeyList (owner first), all deleted. Returns 1 when erased, 0 when not found.
 */
export const ERASE_SESSION_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', unpack(KEYS))
return 1`;

/** Adds ARGV[2] hits to a fixed window and sets the window's TTL (ARGV[1]) when it creates it. */
export const RATE_LIMIT_LUA = `
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;
