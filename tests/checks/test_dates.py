"""Dates of list items and documents in every form Chinese government pages use."""
import datetime as dt

import pytest
from hypothesis import given, strategies as st

from checks.dates import item_date, parse_dates, remove_dates, shanghai_now, shanghai_timestamp

TODAY = dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-05-10", dt.date(2021, 5, 10)),
        ("2021/5/10", dt.date(2021, 5, 10)),
        ("2021.05.10", dt.date(2021, 5, 10)),
        ("发布于2021.05.10。", dt.date(2021, 5, 10)),
        ("2021年5月10日", dt.date(2021, 5, 10)),
        ("2021 年 5 月 10 日", dt.date(2021, 5, 10)),
        ("２０２１年５月１０日", dt.date(2021, 5, 10)),  # full-width digits
        ("二〇二一年五月十日", dt.date(2021, 5, 10)),
        ("二〇二一年十二月三十一日", dt.date(2021, 12, 31)),
        ("2021-05-10 10:30:00", dt.date(2021, 5, 10)),
    ],
)
def test_full_dates(text, expected):
    assert parse_dates(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "署发〔2021〕404号",  # document numbers are not dates
        "海关总署公告2021年第5号",
        "宁关规[2021]12号",
        "电话：025-84536000",
        "0571-87654321",
        "12360海关热线",
        "同比增长3.14%",
        "占比1/2",
        "2021-13-45",
        "2021年5月",
    ],
)
def test_not_dates(text):
    assert parse_dates(text, today=TODAY) == []


def test_short_dates_take_the_year_of_the_context():
    assert parse_dates("[05-10]", context_year=2021) == [dt.date(2021, 5, 10)]
    assert item_date("(02-20)", today=TODAY) == dt.date(2024, 2, 20)
    assert item_date("5月10日", context_year=2022) == dt.date(2022, 5, 10)


def test_short_date_after_today_is_of_the_previous_year():
    # a list read in early March that shows December items
    assert item_date("[12-30]", today=TODAY) == dt.date(2023, 12, 30)
    assert item_date("[12-30]", context_year=2024, today=TODAY) == dt.date(2023, 12, 30)


def test_short_dates_without_any_year_are_skipped():
    assert parse_dates("[05-10]") == []


def test_item_date_is_the_last_date_and_reading_order_kept():
    text = "关于2021年5月1日起施行新规的公告 2021-04-20"
    assert parse_dates(text) == [dt.date(2021, 5, 1), dt.date(2021, 4, 20)]
    assert item_date(text) == dt.date(2021, 4, 20)
    assert item_date("没有日期") is None


def test_gbk_decoded_text():
    raw = "发布日期：2021年05月10日".encode("gbk")
    assert item_date(raw.decode("gbk")) == dt.date(2021, 5, 10)


def test_remove_dates_leaves_years_named_alone():
    assert "2022" not in remove_dates("2021年报（2022-01-15发布）")
    assert "2021" in remove_dates("2021年报（2022-01-15发布）")


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_written_form_round_trips(day):
    for text in (day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day:%Y.%m.%d}",
                 f"{day.year}年{day.month}月{day.day}日"):
        assert parse_dates(f"发布：{text} 浏览") == [day]


@given(st.integers(min_value=1990, max_value=2099), st.integers(min_value=1, max_value=9999))
def test_document_numbers_never_parse(year, number):
    assert parse_dates(f"署发〔{year}〕{number}号 公告{year}年第{number}号", today=TODAY) == []


def test_the_timestamp_of_an_answer_is_now_on_the_shanghai_clock_to_the_second():
    for _ in range(1000):  # made once a second: never stale, whenever the second turns
        before = shanghai_now().isoformat(timespec="seconds")
        stamp = shanghai_timestamp()
        after = shanghai_now().isoformat(timespec="seconds")
        assert stamp in (before, after) and stamp.endswith("+08:00")
