-- wrk script: each request takes the next path from the file named by $URLS (one per line),
-- so one run covers many distinct catalog URLs instead of one hot one.
local paths = {}
for line in io.lines(os.getenv("URLS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local i = math.random(#paths)
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
