"""`flask org import|export|template` as an operator runs them."""

from __future__ import annotations

from sqlalchemy import func, select

from surveyapp.models import Hall, ServiceItem, Window
from tests.services.test_org_catalogue import line, table


def test_template_export_and_import_from_the_command_line(runner, db, tmp_path):
    template = tmp_path / "template.xlsx"
    made = runner.invoke(args=["org", "template", "--out", str(template)])
    assert made.exit_code == 0, made.output
    dry = runner.invoke(args=["org", "import", str(template), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "windows: 1 added" in dry.output and "dry run" in dry.output
    assert db.session.scalar(select(func.count(Window.id))) == 0
    done = runner.invoke(args=["org", "import", str(template)])
    assert done.exit_code == 0, done.output
    assert "service items: 1 added" in done.output
    assert db.session.scalar(select(func.count(ServiceItem.id))) == 1
    again = runner.invoke(args=["org", "import", str(template)])
    assert again.output.strip() == "nothing to change"

    exported = tmp_path / "catalogue.csv"
    result = runner.invoke(args=["org", "export", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    text = exported.read_text(encoding="utf-8-sig")
    assert text.startswith("region_code,region_name,hall_code,hall_name,")
    assert "W450900-01" in text
    back = runner.invoke(args=["org", "import", str(exported), "--retire-missing"])
    assert back.output.strip() == "nothing to change"
    wrong = runner.invoke(args=["org", "export", "--out", str(tmp_path / "x.txt")])
    assert wrong.exit_code != 0 and ".csv or .xlsx" in wrong.output


def test_a_refused_file_exits_non_zero_and_lists_every_row(runner, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        table(
            line(),
            line(hall="H2", item="S2"),
            line(window="W 9"),
            line(window="W4", item="", item_name=""),  # a window without items
        )
    )
    result = runner.invoke(args=["org", "import", str(bad)])
    assert result.exit_code != 0
    assert "row 3, column hall_code: window W1 is under hall H1 in row 2" in (
        result.output
    )
    assert "row 4, column window_code: a code holds only letters" in result.output
    assert "row 5" not in result.output
    assert "2 problem(s): file refused, nothing changed" in result.output
    assert db.session.scalar(select(func.count(Hall.id))) == 0


def test_a_service_item_half_given_is_refused(runner, db, tmp_path):
    bad = tmp_path / "bad.csv"
    row = line()
    row[9] = ""  # code without its name
    bad.write_bytes(table(row))
    result = runner.invoke(args=["org", "import", str(bad)])
    assert result.exit_code != 0
    assert "row 2, column service_item_name: the name is empty" in result.output
