-- Pandoc Lua filter of the brief's HTML -> Typst step.
-- nbconvert wraps every output in <div>s: unwrap them (keeping only the classes the brief styles),
-- turn caveat boxes and quote attributions into the template's functions, and give every figure its
-- alt text, the full text width and the template's flow (flow-figure).

local function typst(blocks)
  return pandoc.write(pandoc.Pandoc(blocks), "typst")
end

-- The HTML captions' labels: "Figure 3." is dropped (Typst numbers figures itself); "Table 2." stays
-- bold in the table's own caption line (tables are not Typst figures: see Table below).
function Span(el)
  if el.classes:includes("label") then
    local text = pandoc.utils.stringify(el)
    if text:match("^Figure") then return {} end
    return pandoc.Strong(el.content)
  end
end

function Div(el)
  if el.classes:includes("caveat") then
    return pandoc.RawBlock("typst", "#caveat[" .. typst(el.content) .. "]")
  end
  return el.content
end

function BlockQuote(el)
  local body, who = {}, nil
  for i, b in ipairs(el.content) do
    local text = pandoc.utils.stringify(b)
    if i == #el.content and i > 1 and text:match("^\u{2013} ") then
      who = text
    else
      table.insert(body, b)
    end
  end
  local attribution = "none"
  if who then
    attribution = "[" .. typst({ pandoc.Plain(pandoc.Str(who)) }):gsub("%s+$", "") .. "]"
  end
  return pandoc.RawBlock("typst",
    "#respondent-quote(attribution: " .. attribution .. ")[" .. typst(body) .. "]")
end

local function typst_string(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

function Figure(el)
  local img = nil
  el.content:walk({ Image = function(i) img = i end })
  if img == nil then return nil end
  local alt = pandoc.utils.stringify(img.caption)
  if img.attributes["alt"] then alt = img.attributes["alt"] end
  local caption = typst(el.caption.long)
  -- flow-figure (the template's): in the text when small, else floated to a page's foot
  return pandoc.RawBlock("typst",
    "#flow-figure(" .. typst_string(img.src) .. ", alt: " .. typst_string(alt) ..
    ")[" .. caption .. "]")
end

-- Text columns left-aligned (pandoc leaves them "auto", which inherits the table's centring);
-- numeric columns keep the right alignment the HTML gave them.
-- A table short enough for one page is kept whole: Typst would otherwise leave its caption alone at
-- the foot of a page when only the caption fits (the header row never stays behind on its own).
local KEEP_WHOLE_ROWS = 12

function Table(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    if spec[1] == "AlignDefault" then
      tbl.colspecs[i] = { "AlignLeft", spec[2] }
    end
  end
  local rows = 0
  for _, body in ipairs(tbl.bodies) do rows = rows + #body.body end
  -- The caption is a line of its own, kept with the table's first rows (sticky): a long table may
  -- then break across pages (its header row repeats) without leaving its caption alone at a page's
  -- foot, and without leaving half a page empty before it.
  local caption = typst(tbl.caption.long):gsub("%s+$", "")
  tbl.caption = pandoc.Caption({})
  local body = typst({ tbl })
  local head = ""
  if caption ~= "" then
    head = "#block(sticky: true, above: 1.1em, below: 0.45em, text(font: sans, size: 8.5pt, "
      .. "fill: muted)[" .. caption .. "])\n"
  end
  if rows <= KEEP_WHOLE_ROWS then
    return pandoc.RawBlock("typst", "#block(breakable: false)[" .. head .. body .. "]")
  end
  return pandoc.RawBlock("typst", head .. "#block(breakable: true)[" .. body .. "]")
end

-- A top-level section after the first starts a new page: a figure floated to a page's foot (the
-- template's flow-figure) then never lands under the next section's heading; pending floats are
-- placed first. The page before a section may be part empty; every other page is filled.
local sections = 0

function Header(el)
  if el.level ~= 1 then return nil end
  sections = sections + 1
  if sections == 1 then return nil end
  return { pandoc.RawBlock("typst", "#place.flush()\n#pagebreak(weak: true)"), el }
end
