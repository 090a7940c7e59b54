"""Outputs made inert and capped (mlkit.grading.inert_outputs)."""

import doctest

from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from mlkit.grading import inert_outputs
from mlkit.grading.inert_outputs import inert_cell, inert_markdown


def test_the_examples_in_the_docstring_run():
    assert doctest.testmod(inert_outputs).failed == 0


def code_cell(*outputs):
    cell = new_code_cell("...")
    cell.outputs = list(outputs)
    return cell


def test_scripts_handlers_and_javascript_urls_are_removed_from_html():
    html = ('<p onclick="steal()">text</p><script>steal()</script><a href="javascript:steal()">a</a>'
            '<iframe src="https://example.com"></iframe><svg onload="steal()"></svg>')
    cell = inert_cell(code_cell(new_output("display_data", data={"text/html": html})))
    cleaned = cell.outputs[0].data["text/html"]
    assert "steal" not in cleaned and "iframe" not in cleaned and "svg" not in cleaned
    assert "<p>text</p>" in cleaned and ">a</a>" in cleaned


def test_code_carrying_kinds_of_output_keep_only_their_plain_text():
    cell = inert_cell(code_cell(
        new_output("display_data", data={"application/javascript": "steal()", "text/plain": "<Javascript>"}),
        new_output("display_data", data={"image/svg+xml": "<svg onload='steal()'/>"}),
        new_output("execute_result", data={"text/markdown": "<script>steal()</script>", "text/plain": "md"},
                   execution_count=1),
    ))
    assert [output.data for output in cell.outputs] == [
        {"text/plain": "<Javascript>\n[application/javascript output not shown: it could run code in this page]"},
        {"text/plain": "[image/svg+xml output not shown: it could run code in this page]"},
        {"text/plain": "md\n[text/markdown output not shown: it could run code in this page]"},
    ]


def test_images_stay():
    cell = inert_cell(code_cell(new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "fig"})))
    assert cell.outputs[0].data == {"image/png": "iVBORw0KGgo=", "text/plain": "fig"}


def test_text_is_capped_in_bytes_and_in_lines():
    one_long_line = inert_cell(code_cell(new_output("stream", name="stdout", text="x" * 10_000_000)),
                               max_lines=100, max_bytes=1000)
    assert len(one_long_line.outputs[0].text) == 1000
    assert "output truncated" in one_long_line.outputs[-1].text
    many_lines = inert_cell(code_cell(*[new_output("stream", name="stdout", text="line\n" * 30) for _ in range(10)]),
                            max_lines=100, max_bytes=10**6)
    assert sum(output.text.count("line\n") for output in many_lines.outputs[:-1]) == 100
    assert "output truncated" in many_lines.outputs[-1].text


def test_markdown_keeps_its_text_unless_its_html_is_active():
    plain = "## Title\n\nA `x < y` comparison, a [link](https://keras.io) and $a < b$."
    assert inert_markdown(plain) == plain
    for hostile in ['<img src=x onerror="steal()">', "[click](javascript:steal())", "<script>steal()</script>"]:
        cleaned = inert_markdown(f"Notes {hostile}")
        assert "steal" not in cleaned and "Notes" in cleaned
    cell = inert_cell(new_markdown_cell('<b onmouseover="steal()">hi</b>'))
    assert "steal" not in cell.source and "hi" in cell.source
