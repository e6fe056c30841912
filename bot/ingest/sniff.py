"""What a body is before anyone summarizes it: a binary file, or a page with no article on it.

Pure: bytes or text in, a verdict out. :func:`binary_kind` looks at the first bytes (magic
numbers, NUL bytes, control characters); :func:`is_wall` looks at extracted text for the mark of
a sign-in or subscription wall: next to no prose, and most of what little text there is asks
the reader to sign in, register or subscribe (in English, German, French, Spanish, Italian,
Portuguese, Dutch, Russian, Chinese or Japanese).
"""

from __future__ import annotations

import re

_HEAD = 8192
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"OggS", "an audio or video file"),
    (b"ID3", "an MP3 file"),
    (b"fLaC", "a FLAC file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r\x1b")


def binary_kind(data: bytes) -> str | None:
    """What the bytes are ("a PNG image", "a binary file") when they are not text; None for
    text (HTML, plain text in any charset, UTF-16 with its byte-order mark)."""
    head = data[:_HEAD]
    if head.startswith(_TEXT_BOMS):
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "a WebP image", b"WAVE": "a WAV file", b"AVI ": "a video"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "an audio or video file"
    if b"\x00" in head:
        return "a binary file"
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return "a binary file" if controls > len(head) // 50 else None


# Words of the account machinery: signing in, registering, passwords, subscribing, paying to
# read on. Nouns such as "account" alone are left out: news is written about them.
_ACCOUNT_WORDS = (
    # English
    r"sign(?:ed)?[ -]?in|sign[ -]?up|log(?:ged)?[ -]?in|log[ -]?on|password|subscrib\w*"
    r"|register(?:ed)?|create (?:an|a free|your) account|my account|forgot\w*|continue reading"
    r"|keep reading|already a (?:member|subscriber)|members? only|unlock|free trial|paywall"
    # German
    r"|anmelden|einloggen|passwort|abonnier\w*|abonnement|abo|registrier\w*|weiterlesen"
    r"|jetzt lesen|mitglied\w*"
    # French
    r"|connexion|connectez|se connecter|mot de passe|abonn\w*|inscri\w*|lire la suite"
    r"|identifiez-vous|créer un compte"
    # Spanish, Italian, Portuguese
    r"|iniciar sesión|inicia sesión|contraseña|suscr[ií]b\w*|suscripci[oó]n\w*|reg[ií]str\w*"
    r"|seguir leyendo|accedi|abbonat\w*|abbonamento|continua a leggere|entrar|senha"
    r"|assine|assinatura|cadastr\w*|continue lendo"
    # Dutch
    r"|inloggen|wachtwoord|abonneer\w*|lees verder"
    # Russian
    r"|войти|войдите|вход|пароль|подпис\w*|регистрац\w*|зарегистр\w*"
)
_ACCOUNT = re.compile(rf"(?<!\w)(?:{_ACCOUNT_WORDS})(?!\w)", re.IGNORECASE)
_ACCOUNT_CJK = re.compile(r"登录|登入|密码|订阅|注册|ログイン|パスワード|購読|会員登録|新規登録")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
MIN_PROSE_WORDS = 100  # a wall shows a teaser of a sentence or two at most
_SENTENCE_WORDS = 8  # a shorter line is a label, a button or a heading, not prose
_SEGMENTS = re.compile(r"\n|(?<=[.!?])\s+|(?<=[。！？])")


def _words(segment: str) -> int:
    return len(segment.split()) + len(_CJK.findall(segment)) // 2


def is_wall(text: str) -> bool:
    """Whether extracted text is a sign-in or paywall page rather than an article: under
    MIN_PROSE_WORDS words of prose (sentences of a sentence's length), at least two words of
    the account machinery (sign in, password, subscribe ...), and more sentences or lines
    that hold them than sentences of prose."""
    prose_words = prose = account = hits = 0
    for segment in _SEGMENTS.split(text):
        words = _words(segment)
        found = len(_ACCOUNT.findall(segment)) + len(_ACCOUNT_CJK.findall(segment))
        if words >= _SENTENCE_WORDS:
            prose_words += words  # an article about passwords is still prose
        if found:
            hits += found
            account += 1
        elif words >= _SENTENCE_WORDS:
            prose += 1
    return prose_words < MIN_PROSE_WORDS and hits >= 2 and account > prose
