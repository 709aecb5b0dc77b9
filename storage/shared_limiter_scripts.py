"""The Lua scripts of the shared limiter: every time is the Redis server's clock, in µs.

Numbers go back to Python as strings: Lua would print a µs timestamp as 1.7e+15.

A lane keeps its window of the last `size` slots: a list of slot times in grant order and a
hash of each one's answered-by time (slot + in-flight bound until `done`). A slot is granted
only at or after the answered-by time of the slot `size` positions back plus one second;
with slots never fired before their time, no second of arrivals holds more than `size`.
"""

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function fmt(x) return string.format('%d', x) end
"""
# KEYS: next, pause, window list, answered hash. ARGV: interval, n (<= size), size, in-flight
# bound, catch-up (of a late or held schedule), window (µs). Returns server now, then the
# granted slots (maybe none, when the slot `size` back is still in flight).
RESERVE = (
    _NOW
    + """
local interval, n, size = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bound, catch, span = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local at = tonumber(redis.call('GET', KEYS[1]) or 0)
if at < now - catch then at = now end  -- idle: start afresh; late (a busy loop): catch up
at = math.max(at, tonumber(redis.call('GET', KEYS[2]) or 0))
local last = tonumber(redis.call('LINDEX', KEYS[3], -1) or 0)
local len = redis.call('LLEN', KEYS[3])
local out = {fmt(now)}
for i = 1, n do
  local slot = math.max(at, last + 1)  -- slots stay in grant order
  local back = len + i - 1 - size
  if back >= 0 then
    local answered = tonumber(redis.call('HGET', KEYS[4],
                                         redis.call('LINDEX', KEYS[3], back)) or 0)
    if answered > now then break end  -- still in flight: nothing is known about its arrival
    slot = math.max(slot, answered + span)
  end
  redis.call('RPUSH', KEYS[3], fmt(slot))
  redis.call('HSET', KEYS[4], fmt(slot), fmt(slot + bound))
  out[#out + 1] = fmt(slot)
  last = slot
  -- A wait for the window (a slow answer) is made up by the next slots, up to `catch`; the
  -- window still bounds them.
  at = math.max(at, slot - catch) + interval
end
if #out > 1 then
  local extra = redis.call('LLEN', KEYS[3]) - size
  if extra > 0 then redis.call('HDEL', KEYS[4], unpack(redis.call('LPOP', KEYS[3], extra))) end
  local ttl = math.floor((math.max(at, last) + bound + span - now) / 1000) + 1000
  redis.call('SET', KEYS[1], fmt(at), 'PX', ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[4], ttl)
end
return out
"""
)
# Marks slots answered: KEYS[k], KEYS[k + 1] are the lanes' answered hashes, ARGV[a],
# ARGV[a + 1] how many slots of each follow as pairs of slot and answered-by (0: now). Never
# later than an answered-by time already used for grants.
_MARK = """
local function mark(k, a)
  local i = a + 2
  for lane = k, k + 1 do
    for _ = 1, tonumber(ARGV[a + lane - k]) do
      local old = redis.call('HGET', KEYS[lane], ARGV[i])
      local by = tonumber(ARGV[i + 1])
      if by == 0 then by = now end
      if old and tonumber(old) > by then redis.call('HSET', KEYS[lane], ARGV[i], fmt(by)) end
      i = i + 2
    end
  end
end
"""
# KEYS, ARGV: those of mark.
DONE = _NOW + _MARK + "mark(1, 1)\nreturn fmt(now)\n"
# KEYS: chat, pause, then mark's. ARGV: slot µs, chat interval µs, then mark's. Returns ok,
# paused or chat plus until.
CLAIM = (
    _NOW
    + _MARK
    + """
mark(3, 3)
local at = tonumber(ARGV[1])
local pause = tonumber(redis.call('GET', KEYS[2]) or 0)
if at < pause then return {'paused', fmt(pause)} end
local interval = tonumber(ARGV[2])
local sent = redis.call('GET', KEYS[1])
if sent and at < tonumber(sent) + interval then
  return {'chat', fmt(tonumber(sent) + interval)}
end
local ttl = math.max(1, math.floor((at + interval - now) / 1000)) + 100
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return {'ok', '0'}
"""
)
# KEYS: chat. ARGV: slot µs, chat interval µs. A late send moves its booking to now (later
# only, so every other booking of the chat stays apart from it).
REBOOK = (
    _NOW
    + """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], fmt(now), 'PX', math.floor(tonumber(ARGV[2]) / 1000) + 100)
end
return 0
"""
)
# KEYS: chat. ARGV: slot µs. Gives a booking back (its slot was dropped, nothing sent).
UNCLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: pause. ARGV: seconds µs. Returns the pause's end (µs), never shortened.
PAUSE = (
    _NOW
    + """
local till = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or 0))
redis.call('SET', KEYS[1], fmt(till), 'PX', math.floor((till - now) / 1000) + 1000)
return fmt(till)
"""
)
