#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes a pseudo-translation of the template: every string 40 % longer and
its letters accented, placeholders, markup, entities, escapes and mnemonics
kept, so that the window shows where a longer language would be cut off.

    pseudo-translate.py TEMPLATE LOCALEDIR LANG

writes LOCALEDIR/LANG/LC_MESSAGES/picky-console.mo (and LANG.po beside it),
checked with msgfmt --check."""

import math
import os
import re
import subprocess
import sys

ACCENTED = dict(zip(
    "abcdeghiklnorstuyzABCDEGHIKLNORSTUYZ",
    "áƀçđéĝĥíķĺñóŕšţúýžÁƁÇĐÉĜĤÍĶĹÑÓŔŠŢÚÝŽ"))
# A printf directive (with positions, flags such as ' and widths), markup,
# an entity, an escape.
TOKEN = re.compile(r"%(?:\d+\$)?[-+ #0']*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t|L)?[diouxXeEfgGcsp%]"
                   r"|<[^>]*>|&[#\w]+;|\\.")
# Strings that are settings rather than words: formats for strftime() and
# the direction GTK asks for.
KEEP = {"default:LTR", "%x", "%H:%M"}


def unquote(lines):
    return "".join(re.match(r'^(?:msg\w+(?:\[\d\])? )?"(.*)"$', l).group(1) for l in lines)


def pseudo(text):
    if text in KEEP or text == "":
        return text
    out = []
    pos = 0
    for m in TOKEN.finditer(text):
        out.extend(ACCENTED.get(c, c) for c in text[pos:m.start()])
        out.append(m.group(0))
        pos = m.end()
    out.extend(ACCENTED.get(c, c) for c in text[pos:])
    # 40 % longer, counted in what is read (not markup nor escapes).
    visible = len(TOKEN.sub("x", text))
    pad = "ŀ" * max(1, math.ceil(visible * 0.4))
    body = "".join(out)
    # A trailing line break stays last, so that lines still end where they did.
    if body.endswith("\\n"):
        return "[" + body[:-2] + pad + "]\\n"
    return "[" + body + pad + "]"


def entries(path):
    block = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line == "":
            if block:
                yield block
            block = []
        else:
            block.append(line)
    if block:
        yield block


def main():
    template, localedir, lang = sys.argv[1:4]
    target = os.path.join(localedir, lang, "LC_MESSAGES")
    os.makedirs(target, exist_ok=True)
    po = os.path.join(localedir, lang + ".po")
    with open(po, "w", encoding="utf-8") as out:
        out.write('msgid ""\nmsgstr ""\n'
                  '"Project-Id-Version: picky-console\\n"\n'
                  '"PO-Revision-Date: 2026-01-01 00:00+0000\\n"\n'
                  '"Last-Translator: pseudo-translate.py\\n"\n'
                  '"Language-Team: none\\n"\n'
                  '"Language: %s\\n"\n'
                  '"MIME-Version: 1.0\\n"\n'
                  '"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  '"Content-Transfer-Encoding: 8bit\\n"\n'
                  '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n' % lang)
        for block in entries(template):
            fields = {}
            current = None
            flags = [l for l in block if l.startswith("#,")]
            for line in block:
                if line.startswith("#"):
                    continue
                m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) ", line)
                if m:
                    current = m.group(1)
                    fields[current] = [line]
                elif current:
                    fields[current].append(line)
            msgid = unquote(fields.get("msgid", []))
            if msgid == "":
                continue
            out.write("\n".join(flags) + ("\n" if flags else ""))
            if "msgctxt" in fields:
                out.write('msgctxt "%s"\n' % unquote(fields["msgctxt"]))
            out.write('msgid "%s"\n' % msgid)
            if "msgid_plural" in fields:
                plural = unquote(fields["msgid_plural"])
                out.write('msgid_plural "%s"\n' % plural)
                out.write('msgstr[0] "%s"\nmsgstr[1] "%s"\n\n' % (pseudo(msgid), pseudo(plural)))
            else:
                out.write('msgstr "%s"\n\n' % pseudo(msgid))
    subprocess.run(["msgfmt", "--check", "-o", os.path.join(target, "picky-console.mo"), po],
                   check=True)


main()
