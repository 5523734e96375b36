/**
 * The store's atomic steps, each one Lua script on one key (so each is atomic on a single Redis and works on
 * Redis Cluster without hash tags), sent with EVALSHA and loaded with EVAL when the server does not know it.
 * Deadlines are the store clock's (ARGV `now`): Redis' own expiry (PX) only collects garbage, a little after.
 * Notifications are published from inside the scripts, so a write that did not happen never notifies and
 * subscribers hear changes in commit order.
 */
import { createHash } from 'node:crypto';

export interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Shared Lua: a stored value `<deadline>|<rest>` is live while its deadline is after `now`. */
const LIVE = `
local function split(value)
  local sep = string.find(value, '|', 1, true)
  return tonumber(string.sub(value, 1, sep - 1)), string.sub(value, sep + 1)
end
`;

/** SET a record. KEYS: record. ARGV: value, px, channel, message. */
export const SET_RECORD = script(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Compare-and-set a record. KEYS: record. ARGV: now, expected status, value, px, channel, message, writeId.
 * The record's own status (`s`) and writeId (`w`, see record-codec.ts) are read from the stored JSON; a stored writeId equal to ours means this
 * very write already happened (its reply was lost), so it answers 1 again without writing twice.
 */
export const COMPARE_AND_SET = script(`${LIVE}
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local deadline, json = split(current)
if deadline <= tonumber(ARGV[1]) then return 0 end
local record = cjson.decode(json)
if ARGV[7] ~= '' and record.w == ARGV[7] then return 1 end
if record.s ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`);

/**
 * Swap the active challenge. KEYS: pointer. ARGV: now, sid, deadline, px. Stored as `<deadline>|<sid>|<previous>`.
 * Returns the previous sid, or false (nil) when there was none; a repeated swap returns the same previous sid.
 */
export const SWAP_ACTIVE = script(`${LIVE}
local previous = false
local current = redis.call('GET', KEYS[1])
if current then
  local deadline, rest = split(current)
  if deadline > tonumber(ARGV[1]) then
    local sep = string.find(rest, '|', 1, true)
    local sid = string.sub(rest, 1, sep - 1)
    local before = string.sub(rest, sep + 1)
    if sid == ARGV[2] then
      if before == '' then return false end
      return before
    end
    previous = sid
  end
end
redis.call('SET', KEYS[1], ARGV[3] .. '|' .. ARGV[2] .. '|' .. (previous or ''), 'PX', ARGV[4])
return previous
`);

/**
 * Count one operation in a fixed window. KEYS: counter (a hash: c = count, r = reset time, o:<id> = counted).
 * ARGV: now, window, operation id, px. Returns { count, reset time }; an operation already counted adds nothing.
 */
export const INCREMENT = script(`
local now = tonumber(ARGV[1])
local reset = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
if reset <= now then
  reset = now + tonumber(ARGV[2])
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'c', 1, 'r', string.format('%.0f', reset), 'o:' .. ARGV[3], 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {1, string.format('%.0f', reset)}
end
if redis.call('HSETNX', KEYS[1], 'o:' .. ARGV[3], 1) == 1 then
  return {redis.call('HINCRBY', KEYS[1], 'c', 1), string.format('%.0f', reset)}
end
return {tonumber(redis.call('HGET', KEYS[1], 'c')), string.format('%.0f', reset)}
`);

/** Take a claim. KEYS: claim. ARGV: now, owner, deadline, px. Stored as `<deadline>|<owner>`. */
export const CLAIM = script(`${LIVE}
local current = redis.call('GET', KEYS[1])
if current then
  local deadline, owner = split(current)
  if deadline > tonumber(ARGV[1]) and owner ~= ARGV[2] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3] .. '|' .. ARGV[2], 'PX', ARGV[4])
return 1
`);

/** Release a claim held by `owner`. KEYS: claim. ARGV: owner. */
export const RELEASE = script(`${LIVE}
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local _, owner = split(current)
if owner ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);
