-- wrk script for TestUnderLoad: asks for the paths listed in args[1] in
-- turn, with Accept-Encoding varied; checks every answer (200, a
-- Content-Length that the body fills, an ETag, an identity XML or JSON
-- body that ends as a document does); writes each failure to a file of
-- its thread in args[2], and saves some answers there (body and head) for
-- the test to parse strictly and hash.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  dir = args[2]
  codings = { "identity", "gzip", "br", "gzip, deflate, br" }
  n, responses, failures, samples = 0, 0, 0, 0
  failed = io.open(dir .. "/failures-" .. id .. ".txt", "w")
end

function request()
  n = n + 1
  local path = paths[(n * 7 + id) % #paths + 1]
  return wrk.format("GET", path, { ["Accept-Encoding"] = codings[n % #codings + 1] })
end

local function header(headers, name)
  for k, v in pairs(headers) do
    if string.lower(k) == name then
      return v
    end
  end
  return nil
end

function response(status, headers, body)
  responses = responses + 1
  local length = tonumber(header(headers, "content-length") or "")
  local etag = header(headers, "etag")
  local coding = header(headers, "content-encoding") or "identity"
  local ctype = header(headers, "content-type") or ""
  local why
  if status ~= 200 then
    why = "status " .. status
  elseif length == nil then
    why = "no Content-Length"
  elseif length ~= #body then
    why = "a body of " .. #body .. " bytes, Content-Length " .. length
  elseif etag == nil or not string.match(etag, '^"%x+"$') then
    why = "ETag " .. tostring(etag)
  elseif coding == "identity" and string.find(ctype, "xml", 1, true)
      and not string.find(string.sub(body, -16), "</[%a:]+>%s*$") then
    why = "an XML body cut short"
  elseif coding == "identity" and string.find(ctype, "json", 1, true)
      and not string.find(string.sub(body, -4), "}%s*$") then
    why = "a JSON body cut short"
  end
  if why then
    failures = failures + 1
    failed:write(why, "\n")
    failed:flush()
  end
  if responses % 20 == 1 and samples < 500 then
    samples = samples + 1
    local name = dir .. "/sample-" .. id .. "-" .. samples
    local f = io.open(name .. ".body", "wb")
    f:write(body)
    f:close()
    f = io.open(name .. ".head", "w")
    f:write(status, "\n", tostring(etag), "\n", coding, "\n", ctype, "\n")
    f:close()
  end
end

function done(summary, latency, requests)
  local r, f, s = 0, 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("responses")
    f = f + t:get("failures")
    s = s + t:get("samples")
  end
  local e = summary.errors
  io.write(string.format(
    "CHECKED requests=%d responses=%d failures=%d samples=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, r, f, s, e.connect, e.read, e.write, e.status, e.timeout))
end
