-- wrk script: POST a fresh IODEF document per request.
--
--   wrk -t2 -c16 -d10s -s bench/publish.lua -H "Authorization: Bearer …" \
--       -H "Content-Type: application/xml" URL -- TAG TEMPLATE
--
-- TEMPLATE is a document from `bench/iodef_gen.py --template`; each request replaces its
-- @ID@ placeholder with TAG-t<thread>-<counter>, so every POST is a new incident (a repeated
-- id would be a 409 and measure the duplicate check instead of publishing). TAG must differ
-- between runs against the same database.

local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("thread_number", threads)
end

local prefix, template
local counter = 0

function init(args)
   prefix = args[1] .. "-t" .. thread_number .. "-"
   local file = assert(io.open(args[2], "rb"))
   template = file:read("*a")
   file:close()
   wrk.method = "POST"
end

function request()
   counter = counter + 1
   local body = template:gsub("@ID@", prefix .. counter)
   return wrk.format(nil, nil, nil, body)
end
