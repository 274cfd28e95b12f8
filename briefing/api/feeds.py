"""/api/feeds: subscribe to, list, poll and drop RSS/Atom feeds."""

from __future__ import annotations

from fastapi import APIRouter, Response

from briefing.api import errors
from briefing.api.schemas import MAX_ID, FeedCreate, FeedOut, FeedPollOut
from briefing.core.work import after_commit
from briefing.ingest import feeds
from briefing.ingest.feedparse import FeedError
from briefing.web.deps import DatabaseDep, SettingsDep
from workers import dispatch

router = APIRouter(prefix="/feeds", tags=["feeds"])


@router.get("", response_model=list[FeedOut], responses=errors.responses(401))
def list_all(db: DatabaseDep) -> list[FeedOut]:
    return [FeedOut.model_validate(feed) for feed in feeds.list_feeds(db)]


@router.post("", status_code=201, response_model=FeedOut,
             responses=errors.responses(400, 401, 409, 413, 422, 502, 504))
def subscribe(body: FeedCreate, db: DatabaseDep, settings: SettingsDep,
              response: Response) -> FeedOut:
    """Subscribe after fetching the URL and checking that it is a feed."""
    try:
        feed = feeds.add_feed(db, body.url, settings, tags=body.tags)
    except feeds.FeedExistsError as exc:
        raise errors.ApiError(409, str(exc), "feed_exists") from None
    except FeedError as exc:
        raise errors.ApiError(422, str(exc), "not_a_feed") from None
    response.headers["Location"] = f"/api/feeds/{feed.id}"
    return FeedOut.model_validate(feed)


@router.post("/{feed_id}/poll", response_model=FeedPollOut,
             responses=errors.responses(401, 404))
def poll(feed_id: int, db: DatabaseDep, settings: SettingsDep) -> FeedPollOut:
    """Poll the feed now and queue its new articles for summarizing.

    200 whatever the feed did: a feed that could not be fetched (`failed`) or entries that
    could not be stored (`errors`) are in the answer and in the feed's `last_error`. The
    request lasts as long as the poll (each fetch within BRIEFING_FETCH_TIMEOUT).
    """
    if not 0 < feed_id <= MAX_ID:
        raise errors.not_found(f"feed {feed_id}")
    try:
        outcome = feeds.poll_feed(db, feed_id, settings)
        feed = feeds.get_feed(db, feed_id)  # as the poll left it: last poll, last error
    except feeds.NoSuchFeed:
        raise errors.not_found(f"feed {feed_id}") from None
    after_commit(dispatch.summarize_articles, outcome.new_article_ids)
    return FeedPollOut(feed=FeedOut.model_validate(feed),
                       not_modified=outcome.not_modified,
                       new_article_ids=outcome.new_article_ids, duplicates=outcome.duplicates,
                       errors=outcome.errors, failed=outcome.failed, deferred=outcome.deferred)


@router.delete("/{feed_id}", status_code=204, response_class=Response,
               responses=errors.responses(401, 404))
def unsubscribe(feed_id: int, db: DatabaseDep) -> Response:
    if not (0 < feed_id <= MAX_ID and feeds.remove_feed(db, feed_id)):
        raise errors.not_found(f"feed {feed_id}")
    return Response(status_code=204)
