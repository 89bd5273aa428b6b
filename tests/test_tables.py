"""tables: the Markdown a Table shows in Jupyter renders as a table with the right cells.

The oracle is a real Markdown renderer (markdown-it-py with GitHub's table rule, as jupytext
installs it) and an HTML parser (BeautifulSoup, as nbconvert installs it): the rendered table
must have one <th> per header and, in every row, one <td> per column holding the cell's text.
"""
import pytest

from ddpm_lessons.stats import Estimate
from ddpm_lessons.tables import Table

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (installed with jupytext, [test]) is needed")
bs4 = pytest.importorskip("bs4", reason="beautifulsoup4 (installed with nbconvert, [test]) is needed")


def render(markdown: str):
    """The HTML tables of rendered Markdown, as (headers, rows) of cell texts."""
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)
    soup = bs4.BeautifulSoup(html, "html.parser")
    return [([th.get_text() for th in t.find_all("th")],
             [[td.get_text() for td in tr.find_all("td")] for tr in t.find("tbody").find_all("tr")])
            for t in soup.find_all("table")], soup


def test_cells_with_pipes_and_newlines_render_as_one_cell_each():
    headers = ["quantity", "max |x| over the run", "note"]
    rows = [["|x_0|", "a|b|c", "first line\nsecond line"], ["`code | span`", "|", "plain"]]
    (table,), _ = render(Table(headers, rows)._repr_markdown_())
    got_headers, got_rows = table
    assert got_headers == headers
    assert got_rows == [["|x_0|", "a|b|c", "first line second line"], ["code | span", "|", "plain"]]


def test_column_counts_of_the_rendered_table_match_the_headers_and_numbers_are_formatted():
    t = Table(["sampler", "steps", "FD", "confident"],
              [["DDIM", 50, 17.4567, Estimate(0.851, 0.0162)], ["naive", 10, 345.0, Estimate(0.1, 0.01)]],
              floatfmt=".3g", caption="FD in classifier features")
    (table,), soup = render(t._repr_markdown_())
    headers, rows = table
    assert len(headers) == 4 and all(len(r) == 4 for r in rows) and len(rows) == 2
    assert rows[0] == ["DDIM", "50", "17.5", "0.851 ± 0.0162"]  # ints as they are, floats and Estimates to 3 digits
    assert soup.find("em").get_text() == "FD in classifier features"  # the caption, under the table


def test_plain_text_lines_up_the_columns():
    t = Table(["a", "longer header"], [["wide cell here", 1.0], ["x", 22.5]])
    lines = str(t).splitlines()
    assert len({len(line) for line in lines}) == 1  # every line as wide: the columns are aligned
    assert lines[1].split() == ["-" * len("wide cell here"), "-" * len("longer header")]
    assert lines[3].split() == ["x", "22.5"]


def test_folded_tables_render_inside_a_details_block():
    a = Table(["k", "v|w"], [[1, 2]])
    b = Table(["only"], [["x"]])
    tables, soup = render(a.folded("two tables", b)._repr_markdown_())
    assert soup.find("summary").get_text() == "two tables"
    assert tables == [(["k", "v|w"], [["1", "2"]]), (["only"], [["x"]])]


@pytest.mark.parametrize("headers, rows, error, match", [
    (["a", "b"], [[1, 2], [3]], ValueError, r"each row must have 2 cells, got 1"),
    (["a", "b"], ["xy"], TypeError, r"each row must be a list of 2 cells, got 'xy'"),
    ("ab", [[1, 2]], TypeError, r"headers must be a list of column names"),
    ([], [], ValueError, r"headers must name at least one column"),
    (["a"], 5, TypeError, r"rows must be a list of rows"),
])
def test_bad_input_is_refused_with_a_message_naming_the_parameter(headers, rows, error, match):
    with pytest.raises(error, match=match):
        Table(headers, rows)


def test_a_caption_must_be_text():
    with pytest.raises(TypeError, match="caption must be a string"):
        Table(["a"], [[1]], caption=3)
