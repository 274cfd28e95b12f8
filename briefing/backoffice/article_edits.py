"""An editor's changes to an article before it is sent: its title and its summary.

(The ingest work adds its own core function for `PATCH /api/articles/{id}`; once it lands
on main the admin calls that one and this module goes.)"""

from __future__ import annotations

from sqlalchemy import update

from briefing.clock import utcnow
from briefing.db import Database
from briefing.models import Article, ArticleStatus
from briefing.textnorm import InputError

MAX_TITLE = 500
MAX_SENTENCES = 50
MAX_SENTENCE_CHARS = 2000


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise InputError("the title is empty")
    if len(title) > MAX_TITLE:
        raise InputError(f"the title is longer than {MAX_TITLE} characters")
    return title


def clean_summary(lines: list[str]) -> list[str]:
    sentences = [" ".join(line.split()) for line in lines if line.strip()]
    if not sentences:
        raise InputError("the summary is empty: write at least one sentence")
    if len(sentences) > MAX_SENTENCES:
        raise InputError(f"the summary has more than {MAX_SENTENCES} sentences")
    if any(len(s) > MAX_SENTENCE_CHARS for s in sentences):
        raise InputError(f"a sentence is longer than {MAX_SENTENCE_CHARS} characters")
    return sentences


def edit_article(db: Database, article_id: int, *, title: str, summary: list[str] | None
                 ) -> None:
    """Set the title, and the summary of a summarized article (one sentence per item)."""
    values: dict[str, object] = {"title": clean_title(title), "updated_at": utcnow()}
    where = [Article.id == article_id]
    if summary is not None:
        values["summary"] = clean_summary(summary)
        # Only a finished summary is replaced: a summary task still running would write its
        # own over the editor's.
        where.append(Article.status == ArticleStatus.SUMMARIZED)
    with db.session() as session:
        done = session.execute(update(Article).where(*where).values(**values)
                               .returning(Article.id)).first()
    if done is None:
        raise InputError("the article is not summarized yet (or is gone): its summary "
                         "can be edited once it is")
