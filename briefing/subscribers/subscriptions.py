"""Who is on which list: double opt-in, confirmation, unsubscribe, and admin changes.

Rules users of newsletter tools care about most:
* the public form answers the same whether or not an address is known (no enumeration);
* a confirmation link works once, for the email it came in, and expires;
* unsubscribed, bounced and complained addresses get nothing more until they opt in afresh;
* an old confirmation link can never bring back someone who left (a nonce per email);
* nothing a stranger types reaches an inbox: a name given at sign-up waits on the pending
  subscription and becomes the reader's only when they confirm, on a page that shows it.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import (
    ConsentSource,
    Frequency,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.core.zones import checked_zone
from briefing.mail.addresses import Address, parse_address, person_name
from briefing.subscribers.frequency import Cadence, checked_cadence
from briefing.subscribers.lists import ListNotFound
from briefing.subscribers.signed_links import CONFIRM, UNSUBSCRIBE, Signer, TokenError
from briefing.subscribers.topics import chosen_key, topics_of

GONE = (SubscriptionStatus.UNSUBSCRIBED, SubscriptionStatus.BOUNCED,
        SubscriptionStatus.COMPLAINED)
MAX_CONFIRMATIONS_PER_DAY = 5
# The id columns are 32-bit on PostgreSQL (which refuses to compare them with a bigger number)
# and SQLite raises past 2**63: a bigger id in a token names nothing, on either.
MAX_ROW_ID = 2**31 - 1
MAX_IP_CHARS = 45       # the consent_ip column


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did; the public answer is the same whatever is in here."""

    subscription_id: int
    send_confirmation: bool


class Outcome(StrEnum):
    DONE = "done"
    ALREADY = "already"


@dataclass(frozen=True)
class TokenOutcome:
    outcome: Outcome
    list_name: str
    list_slug: str
    email: str
    lists_left: int = 0
    name: str = ""  # for the confirmation page: the name it will greet them by


def consent_ip(raw: str | None) -> str | None:
    """The client address to record with a consent, or None when it is not an IP address.

    Whatever the ASGI server reports is kept only if it parses: a proxy header's text
    ("6.6.6.6 forged-consent-ip") is evidence of nothing."""
    try:
        text = str(ipaddress.ip_address((raw or "").strip()))
    except ValueError:
        return None
    return text if len(text) <= MAX_IP_CHARS else None


def get_or_create_subscriber(session: Session, addr: Address, name: str) -> Subscriber:
    """`name` is set on a new person, or on a known one without a name; callers pass only a
    name someone vouches for (an admin, an import, the reader confirming)."""
    found = session.scalar(select(Subscriber).where(Subscriber.email_key == addr.key))
    if found is not None:
        if name and not found.name:
            found.name = name
        return found
    subscriber = Subscriber(email=addr.email, email_key=addr.key, name=name)
    try:
        with session.begin_nested():  # two sign-ups of one address at once: one row wins
            session.add(subscriber)
    except IntegrityError:
        return session.scalars(select(Subscriber).where(Subscriber.email_key == addr.key)).one()
    return subscriber


def _person_and_subscription(session: Session, slug: str, addr: Address, name: str
                             ) -> tuple[MailingList, Subscriber, Subscription | None]:
    """The list, the person (created if new) and their subscription to it, if any."""
    mailing_list = _list_by_slug(session, slug)
    subscriber = get_or_create_subscriber(session, addr, name)
    subscription = session.scalar(select(Subscription).where(
        Subscription.list_id == mailing_list.id, Subscription.subscriber_id == subscriber.id))
    return mailing_list, subscriber, subscription


def _list_by_slug(session: Session, slug: str) -> MailingList:
    found = session.scalar(select(MailingList).where(MailingList.slug == slug))
    if found is None:
        raise ListNotFound(slug)
    return found


def sign_up(db: Database, slug: str, email: str, name: str | None, settings: Settings, *,
            source: ConsentSource = ConsentSource.FORM, ip: str | None = None,
            timezone: str | None = None) -> SignUp:
    """Start double opt-in: a pending subscription and (rate-limited) a confirmation email.

    Whoever calls this has not shown they own `email`, so `name` is not the person's yet: it
    waits on the pending subscription (the confirmation page offers it), and an active
    reader's name is never touched. The same goes for *timezone* (the browser's, sent by the
    form's script; one that is not a zone is dropped, since nobody typed it)."""
    addr, clean, ip = parse_address(email), person_name(name), consent_ip(ip)
    zone = _zone_or_none(timezone)
    with db.session() as session:
        mailing_list, subscriber, subscription = _person_and_subscription(
            session, slug, addr, "")
        if subscription is None:
            subscription = Subscription(list_id=mailing_list.id, subscriber_id=subscriber.id,
                                        status=SubscriptionStatus.PENDING,
                                        consent_source=source, consent_ip=ip)
            session.add(subscription)
            session.flush()
        elif subscription.status == SubscriptionStatus.ACTIVE:
            return SignUp(subscription.id, send_confirmation=False)
        elif subscription.status in GONE:
            _restart_opt_in(subscription, source, ip)
        if clean:
            subscription.signup_name = clean
        if zone:
            subscription.signup_timezone = zone
        send = _claim_confirmation(subscription, settings)
        return SignUp(subscription.id, send_confirmation=send)


def _zone_or_none(raw: str | None) -> str | None:
    try:
        return checked_zone(raw) if raw and raw.strip() else None
    except InputError:
        return None


def _restart_opt_in(subscription: Subscription, source: ConsentSource, ip: str | None) -> None:
    subscription.status = SubscriptionStatus.PENDING
    subscription.consent_source, subscription.consent_ip = source, ip
    subscription.consent_at = utcnow()
    subscription.confirmations_sent = 0
    subscription.confirmation_sent_at = None


def _claim_confirmation(subscription: Subscription, settings: Settings) -> bool:
    """Allow one confirmation email per resend interval, and a few a day at most."""
    now = utcnow()
    last = subscription.confirmation_sent_at
    if last is not None:
        if now - last < timedelta(minutes=settings.confirm_resend_minutes):
            return False
        if now - last > timedelta(days=1):
            subscription.confirmations_sent = 0
        elif subscription.confirmations_sent >= MAX_CONFIRMATIONS_PER_DAY:
            return False
    subscription.confirm_nonce = secrets.token_hex(8)
    subscription.confirmation_sent_at = now
    subscription.confirmations_sent += 1
    return True


def confirm_token(settings: Settings, subscription: Subscription) -> str:
    return Signer(settings.secret_key).sign(
        CONFIRM, {"s": subscription.id, "n": subscription.confirm_nonce})


def unsubscribe_token(settings: Settings, subscription_id: int) -> str:
    return Signer(settings.secret_key).sign(UNSUBSCRIBE, {"s": subscription_id})


def _subscription_from(session: Session, payload: dict[str, object]
                       ) -> tuple[Subscription, MailingList, Subscriber]:
    subscription_id = payload.get("s")
    row = session.get(Subscription, subscription_id) if _row_id(subscription_id) else None
    if row is None:
        raise TokenError("This link belongs to a subscription that no longer exists.")
    mailing_list = session.get(MailingList, row.list_id)
    subscriber = session.get(Subscriber, row.subscriber_id)
    assert mailing_list is not None and subscriber is not None
    return row, mailing_list, subscriber


def _row_id(value: object) -> bool:
    """Whether a token's id could name a row (True is an int to Python, and ids past the
    database's integer range make SQLite raise instead of finding nothing)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def _confirmable(session: Session, token: str, settings: Settings
                 ) -> tuple[Subscription, Subscriber, TokenOutcome]:
    """The subscription a confirmation link names, and what confirming it would do; raises
    TokenError for a link that cannot confirm anything (any more)."""
    payload = Signer(settings.secret_key).verify(CONFIRM, token,
                                                 max_age_days=settings.confirm_days)
    row, mailing_list, subscriber = _subscription_from(session, payload)
    if row.status == SubscriptionStatus.ACTIVE:
        state = Outcome.ALREADY
    elif row.status != SubscriptionStatus.PENDING or row.confirm_nonce != payload.get("n"):
        raise TokenError("This confirmation link is no longer valid. "
                         "Please sign up again to get a new one.")
    else:
        state = Outcome.DONE
    return row, subscriber, TokenOutcome(state, mailing_list.name, mailing_list.slug,
                                         subscriber.email,
                                         name=subscriber.name or row.signup_name or "")


def peek_confirm(db: Database, token: str, settings: Settings) -> TokenOutcome:
    """What a confirmation link would do, for the page with the button (a GET changes
    nothing: mail gateways open every link in a message)."""
    with db.session() as session:
        return _confirmable(session, token, settings)[2]


def confirm(db: Database, token: str, settings: Settings, *, name: str | None = None
            ) -> TokenOutcome:
    """Activate the subscription. `name` is what the reader chose on the confirmation page
    (None: keep the stored name); the name typed at sign-up is dropped either way."""
    with db.session() as session:
        row, subscriber, outcome = _confirmable(session, token, settings)
        if outcome.outcome == Outcome.ALREADY:
            return outcome
        if name is not None:  # checked after the link, so a broken link says so first
            subscriber.name = person_name(name)
        row.status, row.confirmed_at, row.confirm_nonce = (
            SubscriptionStatus.ACTIVE, utcnow(), None)
        row.signup_name = None
        if subscriber.timezone is None and row.signup_timezone:
            subscriber.timezone = row.signup_timezone
        row.signup_timezone = None
        return outcome


def _unsubscribe_payload(token: str, settings: Settings) -> dict[str, object]:
    return Signer(settings.secret_key).verify(UNSUBSCRIBE, token,
                                              max_age_days=settings.unsubscribe_days)


def subscriber_for(session: Session, token: str, settings: Settings) -> Subscriber:
    """The person an unsubscribe link was sent to (it names one of their subscriptions)."""
    return _subscription_from(session, _unsubscribe_payload(token, settings))[2]


def leave(session: Session, *where: ColumnElement[bool]) -> list[int]:
    """End the matching subscriptions that are still on; the one record of a reader leaving
    (status, time, and no confirmation link left to bring them back). Returns their ids."""
    now = utcnow()
    return list(session.scalars(
        update(Subscription).where(*where, Subscription.status.not_in(GONE))
        .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now,
                confirm_nonce=None, updated_at=now)
        .returning(Subscription.id)))


def peek_unsubscribe(db: Database, token: str, settings: Settings) -> TokenOutcome:
    """Who a link would unsubscribe, for the page that asks (a GET changes nothing)."""
    payload = _unsubscribe_payload(token, settings)
    with db.session() as session:
        row, mailing_list, subscriber = _subscription_from(session, payload)
        state = Outcome.ALREADY if row.status in GONE else Outcome.DONE
        return TokenOutcome(state, mailing_list.name, mailing_list.slug, subscriber.email)


def unsubscribe(db: Database, token: str, settings: Settings, *, everywhere: bool = False
                ) -> TokenOutcome:
    payload = _unsubscribe_payload(token, settings)
    with db.session() as session:
        row, mailing_list, subscriber = _subscription_from(session, payload)
        scope = (Subscription.subscriber_id == subscriber.id if everywhere
                 else Subscription.id == row.id)
        changed = leave(session, scope)
        left = session.scalar(select(func.count()).where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING])))
        return TokenOutcome(Outcome.DONE if changed else Outcome.ALREADY, mailing_list.name,
                            mailing_list.slug, subscriber.email, int(left or 0))


def add_subscriber(db: Database, slug: str, email: str, name: str | None = None, *,
                   active: bool = True, source: ConsentSource = ConsentSource.ADMIN,
                   timezone: str | None = None, frequency: str | None = None,
                   topics: Sequence[str] | None = None) -> Subscription:
    """An admin or API add: the caller vouches for consent, recorded with its source.
    A person who left the list is not put back: that needs their own fresh opt-in.
    *timezone* (IANA) sets the person's own zone; "" clears it; None leaves it; likewise
    *frequency* (`weekly:friday` …) and *topics* (some of the list's; [] for everything)."""
    addr, clean = parse_address(email), person_name(name)
    zone = checked_zone(timezone) if timezone else timezone
    often = checked_cadence(frequency) if frequency else None
    with db.session() as session:
        mailing_list, subscriber, row = _person_and_subscription(session, slug, addr, clean)
        chosen = None if topics is None else chosen_key(mailing_list, topics)
        if zone is not None:
            subscriber.timezone = zone or None
        if row is not None and row.status in GONE:
            raise InputError(f"{addr.email} is {row.status} on {slug}; "
                             "they must sign up again themselves")
        if row is None:
            row = Subscription(list_id=mailing_list.id, subscriber_id=subscriber.id,
                               consent_source=source, status=SubscriptionStatus.PENDING,
                               frequency=Frequency.DAILY, weekly_day=0)
            session.add(row)
        if often is not None:
            for column, value in often.changes(row.frequency, row.weekly_day).items():
                setattr(row, column, value)
        if chosen is not None:
            row.topics = chosen
        if active and row.status != SubscriptionStatus.ACTIVE:
            now = utcnow()
            row.status, row.confirmed_at = SubscriptionStatus.ACTIVE, now
            row.consent_source, row.consent_at = source, now
        session.flush()
        return row


def remove_subscriber(db: Database, slug: str, email: str) -> bool:
    """Admin unsubscribe: kept as `unsubscribed`, so an import cannot bring them back."""
    addr = parse_address(email)
    with db.session() as session:
        mailing_list = _list_by_slug(session, slug)
        changed = session.execute(
            update(Subscription).where(
                Subscription.list_id == mailing_list.id,
                Subscription.subscriber_id == select(Subscriber.id).where(
                    Subscriber.email_key == addr.key).scalar_subquery(),
                Subscription.status.not_in(GONE))
            .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=utcnow(),
                    updated_at=utcnow())
            .returning(Subscription.id)).all()
        return bool(changed)


@dataclass(frozen=True)
class SubscriberRow:
    subscription_id: int
    email: str
    name: str
    status: SubscriptionStatus
    consent_source: ConsentSource
    consent_at: object
    confirmed_at: object
    unsubscribed_at: object
    timezone: str | None = None
    frequency: str = "daily"          # as `checked_cadence` reads it: "weekly:friday" …
    topics: tuple[str, ...] = ()      # none: everything the list sends


def list_subscribers(db: Database, slug: str, *, status: SubscriptionStatus | None = None,
                     search: str | None = None, limit: int = 50, offset: int = 0
                     ) -> tuple[list[SubscriberRow], int]:
    with db.session() as session:
        mailing_list = _list_by_slug(session, slug)
        query = (select(Subscription, Subscriber)
                 .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
                 .where(Subscription.list_id == mailing_list.id))
        if status is not None:
            query = query.where(Subscription.status == status)
        if search:
            # The user's text is matched literally: % and _ are not wildcards here.
            literal = search.strip().casefold()
            for char in ("\\", "%", "_"):
                literal = literal.replace(char, "\\" + char)
            pattern = f"%{literal}%"
            query = query.where(or_(Subscriber.email_key.like(pattern, escape="\\"),
                                    func.lower(Subscriber.name).like(pattern, escape="\\")))
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.execute(query.order_by(Subscriber.email_key)
                               .limit(max(1, min(limit, 500))).offset(max(0, offset))).all()
        return [SubscriberRow(sub.id, person.email, person.name, sub.status,
                              sub.consent_source, sub.consent_at, sub.confirmed_at,
                              sub.unsubscribed_at, person.timezone,
                              str(Cadence(sub.frequency, sub.weekly_day)),
                              tuple(topics_of(sub.topics)))
                for sub, person in rows], int(total or 0)
