-- wrk script: POST view beacons, each with its own valid token (no render id repeats).
-- TOKENS_FILE holds one token per line; COOKIE is the signed-in member's session cookie.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  local stride = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    if i % stride == id then tokens[#tokens + 1] = line end
    i = i + 1
  end
  next_token = 1
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = os.getenv("COOKIE") or "",
  }
end

function request()
  local token = tokens[next_token]
  next_token = next_token % #tokens + 1
  return wrk.format("POST", "/_clicktracker/beacon", headers, "event=view&token=" .. token)
end
