"""Texts that follow the UI language and fit: the uploader style sheet and chart labels
written on several lines (ui.theme); the browser tests check them on screen."""

import json

import pytest

from ui.theme import text_width, uploader_css, wrap_text, wrapped_labels


def test_the_uploader_style_sheet_swaps_streamlits_texts_in_japanese_only():
    assert uploader_css("en", 1000) == ""
    css = uploader_css("ja", 1000)
    dropzone = '[data-testid="stFileUploaderDropzone"]'
    line = '[data-testid="stFileUploaderDropzoneInstructions"] span'
    assert css == (
        f'{dropzone} button p{{font-size:0}}{dropzone} button p::after{{content:"アップロード";font-size:0.875rem}}'
        f'{dropzone} > div:not([data-testid]) > span{{font-size:0}}'
        f'{dropzone} > div:not([data-testid]) > span::after{{content:"ここにファイルをドロップ";font-size:0.875rem}}'
        f'{dropzone} {line}{{font-size:0}}{dropzone} {line}::after{{content:"1ファイル 1GB まで";font-size:0.875rem}}'
        f'{dropzone} input[accept*=".json"] ~ {line}::after{{content:"1ファイル 1GB まで・JSON"}}'
        f'{dropzone} input[accept*=".csv"] ~ {line}::after{{content:"1ファイル 1GB まで・CSV・TSV・Excel など"}}')
    assert '"1ファイル 200MB まで"' in uploader_css("ja", 200)


@pytest.mark.parametrize("text, width, lines", [
    ("Sales (revenue first)", 24, ["Sales (revenue first)"]),
    ("Sales (revenue first)", 12, ["Sales", "(revenue", "first)"]),
    ("CS (advocacy and satisfaction first)", 24, ["CS (advocacy and", "satisfaction first)"]),
    ("マーケ案（関与重視）", 12, ["マーケ案", "（関与重視）"]),
    ("CS案（推奨・満足重視）", 12, ["CS案（推奨・", "満足重視）"]),  # a piece longer than a line is cut
    ("Supercalifragilisticexpialidocious", 12, ["Supercalifra", "gilisticexpi", "alidocious"]),
])
def test_labels_wrap_at_spaces_and_brackets_within_the_width(text, width, lines):
    assert wrap_text(text, width) == lines
    assert all(text_width(line) <= width for line in lines)


def test_the_label_expression_looks_each_label_up():
    expr = wrapped_labels(["営業案（売上重視）", "A"], 12)
    table, rest = expr[1:].split(")[datum.label]", 1)
    assert json.loads(table) == {"営業案（売上重視）": ["営業案", "（売上重視）"], "A": ["A"]}
    assert rest == " || datum.label"
