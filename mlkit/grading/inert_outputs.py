"""Make a graded notebook's outputs inert, and bounded, before anyone opens them.

Feedback pages and the formgrader render a student's notebook as HTML in the
browser of a student or an instructor. What the student's code displayed is
untrusted: a `<script>`, an `<img onerror=...>`, a `javascript:` link or a
`Javascript(...)` output would run there. So, output by output:

- HTML goes through `nh3` (a maintained allow-list sanitizer): tags and
  attributes that can run code are removed, the text stays;
- PNG and JPEG images stay (base64 data cannot run), up to a size;
- plain text and tracebacks stay (the page escapes them);
- every other kind (JavaScript, SVG, widgets, Markdown and LaTeX, which may
  carry raw HTML) is dropped, its plain-text form kept, with a note;
- the text of a cell is capped in lines *and* in bytes (a 10 MB output on
  one line passes a line limit alone).

A Markdown cell whose rendered HTML holds active content (raw `<script>`,
a `javascript:` link) is replaced by that HTML, sanitized.

    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell()
    >>> cell.outputs = [new_output("display_data", data={
    ...     "text/html": '<b>hi</b><img src=x onerror="alert(1)"><script>alert(2)</script>',
    ...     "text/plain": "<HTML object>"})]
    >>> inert_cell(cell).outputs[0].data["text/html"]
    '<b>hi</b><img src="x">'
"""

import html

import nh3
from nbformat.v4 import new_output

MAX_LINES = 1000           # lines of text per cell
MAX_BYTES = 100_000        # bytes of text per cell
MAX_IMAGE_BYTES = 2_000_000
SAFE_IMAGES = ("image/png", "image/jpeg")


def inert_cell(cell, max_lines=MAX_LINES, max_bytes=MAX_BYTES):
    """`cell` (changed in place and returned) with inert outputs whose text fits the limits."""
    if cell.cell_type == "markdown":
        cell.source = inert_markdown(cell.source)
        return cell
    if cell.cell_type != "code":
        return cell
    budget = _Budget(max_lines, max_bytes)
    outputs = []
    for output in cell.get("outputs", []):
        output = _inert_output(output, budget)
        if output is not None:
            outputs.append(output)
        if budget.exhausted:
            outputs.append(_note(f"... output truncated: more than {max_lines} lines or {max_bytes} "
                                 "bytes of output in this cell ..."))
            break
    cell.outputs = outputs
    return cell


def inert_markdown(source):
    """Markdown unchanged when the HTML it renders to is harmless; else that HTML, sanitized."""
    from nbconvert.filters import markdown2html

    rendered = markdown2html(source)
    cleaned = sanitized_html(rendered)
    return source if html.unescape(cleaned) == html.unescape(rendered) else cleaned


def sanitized_html(text):
    """`text` with every tag, attribute and URL that could run code removed (nh3's allow-list,
    plus the `id` and `class` attributes that rendered Markdown uses for its anchors)."""
    return nh3.clean(text, attributes=_ATTRIBUTES, link_rel=None)


_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()} | {"*": {"id", "class"}}


def _inert_output(output, budget):
    kind = output.get("output_type")
    if kind == "stream":
        output.text = budget.take(output.get("text", ""))
        return output if output.text else None
    if kind == "error":
        output.traceback = budget.take("\n".join(output.get("traceback", []))).split("\n")
        output.evalue = budget.take(output.get("evalue", ""))
        return output
    if kind in ("display_data", "execute_result"):
        data, dropped = {}, []
        for mimetype, value in output.get("data", {}).items():
            text = "".join(value) if isinstance(value, list) else value
            if mimetype == "text/plain":
                data[mimetype] = budget.take(text)
            elif mimetype == "text/html":
                data[mimetype] = sanitized_html(budget.take(text))
            elif mimetype in SAFE_IMAGES and isinstance(text, str) and len(text) <= MAX_IMAGE_BYTES:
                data[mimetype] = text
            else:
                dropped.append(mimetype)
        if dropped and "text/html" not in data and not any(m in data for m in SAFE_IMAGES):
            shown = data.get("text/plain", "")
            data["text/plain"] = (shown + "\n" if shown else "") + (
                f"[{', '.join(dropped)} output not shown: it could run code in this page]")
        output.data = data
        output.metadata = {}
        return output
    return None  # an unknown kind of output


def _note(text):
    return new_output("stream", name="stdout", text=text + "\n")


class _Budget:
    """What is left of a cell's allowance of lines and bytes of text."""

    def __init__(self, lines, size):
        self.lines, self.size = lines, size
        self.exhausted = False

    def take(self, text):
        if self.exhausted:
            return ""
        lines = text.splitlines(keepends=True)
        if len(lines) > self.lines:
            text, self.exhausted = "".join(lines[: self.lines]), True
        encoded = text.encode("utf-8")
        if len(encoded) > self.size:
            text, self.exhausted = encoded[: self.size].decode("utf-8", errors="ignore"), True
        self.lines -= len(text.splitlines())
        self.size -= len(text.encode("utf-8"))
        self.exhausted = self.exhausted or self.lines <= 0 or self.size <= 0
        return text
