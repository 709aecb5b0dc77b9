"""The Lua scripts of the shared limiter: every time is the Redis server's clock, in µs.

Numbers go back to Python as strings: Lua would print a µs timestamp as 1.7e+15.
"""

# KEYS: lane, pause. ARGV: interval µs, n. Returns server now and the first slot (µs).
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local start = math.max(tonumber(redis.call('GET', KEYS[1]) or 0),
                       tonumber(redis.call('GET', KEYS[2]) or 0), now)
local last = start + tonumber(ARGV[2]) * interval
redis.call('SET', KEYS[1], string.format('%d', last), 'PX',
           math.floor((last - now) / 1000) + 1000)
return {string.format('%d', now), string.format('%d', start)}
"""
# KEYS: chat, pause. ARGV: slot µs, chat interval µs. Returns ok, paused or chat plus until.
CLAIM = """
local at = tonumber(ARGV[1])
local pause = tonumber(redis.call('GET', KEYS[2]) or 0)
if at < pause then return {'paused', string.format('%d', pause)} end
local interval = tonumber(ARGV[2])
local sent = redis.call('GET', KEYS[1])
if sent and at < tonumber(sent) + interval then
  return {'chat', string.format('%d', tonumber(sent) + interval)}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = math.max(1, math.floor((at + interval - now) / 1000)) + 100
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return {'ok', '0'}
"""
# KEYS: chat. ARGV: slot µs. Gives a booking back (its slot was dropped, nothing sent).
UNCLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: pause. ARGV: seconds µs. Returns the pause's end (µs), never shortened.
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or 0))
redis.call('SET', KEYS[1], string.format('%d', till), 'PX', math.floor((till - now) / 1000) + 1000)
return string.format('%d', till)
"""
