-- A number as an integer string (tostring would print large ones in exponent form).
local function str(n)
  return string.format('%.0f', n)
end
