"""Small but valid files for the demo web: images, attachments, a style sheet and a script.

Each is built from code (no binary blobs in the repository) and is deterministic.
"""
from __future__ import annotations

import struct
import zlib
from xml.sax.saxutils import escape as xml_escape

STYLE_CSS = b"""body { font-family: "Microsoft YaHei", SimSun, sans-serif; margin: 0 auto; width: 1000px; }
.header { height: 90px; background: #0b4f8a; }
.nav a, .related-links a { margin-right: 1em; }
.easysite-list li span { float: right; color: #666; }
.easysite-info p { margin: 0.2em 0; }
"""

COMMON_JS = b"""// Site behaviour of the demo CMS: only the favourite button.
function addFavorite() { alert('\\u8bf7\\u4f7f\\u7528 Ctrl+D \\u6536\\u85cf'); }
"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-colour PNG image."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then RGB triples
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def pdf(text: str) -> bytes:
    """A one-page PDF showing one ASCII line (the built-in fonts have no Chinese glyphs)."""
    line = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 72 770 Td (" + line + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def doc(title: str, paragraphs: list[str]) -> bytes:
    """A Word document in RTF, the form many government CMSs serve under a .doc name."""

    def rtf_text(text: str) -> str:
        # RTF is 7-bit: other characters are \\uN escapes (N a signed 16-bit number).
        out = []
        for char in text:
            code = ord(char)
            if char in "\\{}":
                out.append("\\" + char)
            elif code < 128:
                out.append(char)
            else:
                out.append(f"\\u{code - 65536 if code > 32767 else code}?")
        return "".join(out)

    body = "".join(f"{rtf_text(p)}\\par\n" for p in [title, *paragraphs])
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 SimSun;}}\\f0\\fs24\n" + body + "}\n").encode("ascii")


def xls(rows: list[list[str]]) -> bytes:
    """An Excel workbook in SpreadsheetML 2003 (XML), which Excel opens as .xls."""
    table = "".join(
        "<Row>" + "".join(f'<Cell><Data ss:Type="String">{xml_escape(cell)}</Data></Cell>' for cell in row) + "</Row>"
        for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="Sheet1"><Table>{table}</Table></Worksheet></Workbook>\n'
    ).encode("utf-8")
