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
 * caller's. Keys: turns list, counter, rollout pin, owner (every TTL follows the turns'; EXPIRE of
 * an absent pin is a no-op). ARGV: record, max turns, TTL, owner digest, mode.
 */
export const APPEND_TURN_LUA = `${OWNER_CHECK_LUA('KEYS[4]', 'ARGV[4]', 'ARGV[5]', 'ARGV[3]', '-1')}
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('EXPIRE', KEYS[4], ARGV[3])
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
 * Reads the counter, the newest ARGV[1] turns and the pin atomically, if the session is the
 * caller's (ARGV[2]: owner digest); else nil. Keys: owner, counter, turns list, pin. A script, not
 * MULTI: ioredis follows a MOVED redirect for a single command, but a MULTI sent with a stale slot
 * map (a client that started while a new shard joined) came back with MOVED errors, timeouts or
 * even another command's replies (found on the real node; see e2e/real-node/redis.test.ts).
 */
export const HISTORY_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return false end
local pin = redis.call('HMGET', KEYS[4], 'track', 'version')
return {redis.call('GET', KEYS[2]) or false, redis.call('LRANGE', KEYS[3], -tonumber(ARGV[1]), -1),
  pin[1] or false, pin[2] or false}`;

/** Adds ARGV[2] hits to a fixed window and sets the window's TTL (ARGV[1]) when it creates it. */
export const RATE_LIMIT_LUA = `
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;
