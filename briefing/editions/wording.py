"""The briefing email's own few words and its dates, in the list's locale.

Dates come from Babel (CLDR data, shipped in its wheel), so any locale Babel knows gets its
month and day names.  The handful of phrases the email says itself are written out here for
the languages below; another locale falls back to its language, then to English.
"""

from __future__ import annotations

from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

DEFAULT_LOCALE = "en"

_PHRASES: dict[str, dict[str, str]] = {
    "en": {"week": "Week of {date}",
           "this_week_one": "1 story this week", "this_week": "{n} stories this week",
           "greeting": "Good morning", "today_one": "1 story today",
           "today": "{n} stories today", "top": "Top stories", "more": "More stories",
           "also": "Also covered by", "read": "Read the full story", "update": "Update",
           "more_link_one": "1 more story in the web version",
           "more_link": "{n} more stories in the web version",
           "why": "You receive {list} because you subscribed to it.",
           "unsubscribe": "Unsubscribe", "preferences": "Preferences",
           "browser": "View in browser", "past": "Past editions"},
    "de": {"week": "Woche vom {date}",
           "this_week_one": "1 Meldung diese Woche", "this_week": "{n} Meldungen diese Woche",
           "greeting": "Guten Morgen", "today_one": "1 Meldung heute",
           "today": "{n} Meldungen heute", "top": "Top-Meldungen", "more": "Weitere Meldungen",
           "also": "Auch berichtet von", "read": "Ganzen Artikel lesen",
           "update": "Aktualisiert", "more_link_one": "1 weitere Meldung in der Webversion",
           "more_link": "{n} weitere Meldungen in der Webversion",
           "why": "Sie erhalten {list}, weil Sie sich dafür angemeldet haben.",
           "unsubscribe": "Abmelden", "preferences": "Einstellungen",
           "browser": "Im Browser ansehen", "past": "Frühere Ausgaben"},
    "fr": {"week": "Semaine du {date}",
           "this_week_one": "1 sujet cette semaine", "this_week": "{n} sujets cette semaine",
           "greeting": "Bonjour", "today_one": "1 sujet aujourd’hui",
           "today": "{n} sujets aujourd’hui", "top": "À la une", "more": "Autres sujets",
           "also": "Également couvert par", "read": "Lire l’article complet",
           "update": "Mise à jour", "more_link_one": "1 autre sujet dans la version web",
           "more_link": "{n} autres sujets dans la version web",
           "why": "Vous recevez {list} parce que vous vous y êtes abonné.",
           "unsubscribe": "Se désabonner", "preferences": "Préférences",
           "browser": "Voir dans le navigateur", "past": "Éditions précédentes"},
    "es": {"week": "Semana del {date}",
           "this_week_one": "1 noticia esta semana", "this_week": "{n} noticias esta semana",
           "greeting": "Buenos días", "today_one": "1 noticia hoy",
           "today": "{n} noticias hoy", "top": "Noticias principales", "more": "Más noticias",
           "also": "También cubierto por", "read": "Leer la noticia completa",
           "update": "Actualización", "more_link_one": "1 noticia más en la versión web",
           "more_link": "{n} noticias más en la versión web",
           "why": "Recibe {list} porque se suscribió.",
           "unsubscribe": "Darse de baja", "preferences": "Preferencias",
           "browser": "Ver en el navegador", "past": "Ediciones anteriores"},
    "it": {"week": "Settimana del {date}",
           "this_week_one": "1 notizia questa settimana",
           "this_week": "{n} notizie questa settimana",
           "greeting": "Buongiorno", "today_one": "1 notizia oggi",
           "today": "{n} notizie oggi", "top": "Notizie principali", "more": "Altre notizie",
           "also": "Ne parlano anche", "read": "Leggi l’articolo completo",
           "update": "Aggiornamento", "more_link_one": "1 altra notizia nella versione web",
           "more_link": "Altre {n} notizie nella versione web",
           "why": "Ricevi {list} perché ti sei iscritto.",
           "unsubscribe": "Annulla l’iscrizione", "preferences": "Preferenze",
           "browser": "Vedi nel browser", "past": "Edizioni precedenti"},
    "nl": {"week": "Week van {date}",
           "this_week_one": "1 verhaal deze week", "this_week": "{n} verhalen deze week",
           "greeting": "Goedemorgen", "today_one": "1 verhaal vandaag",
           "today": "{n} verhalen vandaag", "top": "Belangrijkste nieuws",
           "more": "Meer nieuws", "also": "Ook bericht door", "read": "Lees het hele artikel",
           "update": "Update", "more_link_one": "Nog 1 verhaal in de webversie",
           "more_link": "Nog {n} verhalen in de webversie",
           "why": "Je ontvangt {list} omdat je je hebt aangemeld.",
           "unsubscribe": "Afmelden", "preferences": "Voorkeuren",
           "browser": "Bekijk in de browser", "past": "Eerdere edities"},
    "pt": {"week": "Semana de {date}",
           "this_week_one": "1 notícia nesta semana", "this_week": "{n} notícias nesta semana",
           "greeting": "Bom dia", "today_one": "1 notícia hoje",
           "today": "{n} notícias hoje", "top": "Principais notícias",
           "more": "Mais notícias", "also": "Também noticiado por",
           "read": "Ler a notícia completa", "update": "Atualização",
           "more_link_one": "Mais 1 notícia na versão web",
           "more_link": "Mais {n} notícias na versão web",
           "why": "Você recebe {list} porque se inscreveu.",
           "unsubscribe": "Cancelar inscrição", "preferences": "Preferências",
           "browser": "Ver no navegador", "past": "Edições anteriores"},
}


class Wording:
    """Phrases and dates for one locale; `counted("today", 8)` picks singular or plural."""

    def __init__(self, locale: str | None) -> None:
        self.locale = _babel_locale(locale)
        self.language = self.locale.language if self.locale.language in _PHRASES else "en"
        self._phrases = _PHRASES[self.language]

    def __getitem__(self, key: str) -> str:
        return self._phrases[key]

    def counted(self, key: str, n: int) -> str:
        return self._phrases[f"{key}_one"] if n == 1 else self._phrases[key].format(n=n)

    def long_date(self, day: date) -> str:
        return format_date(day, format="full", locale=self.locale)

    def short_date(self, day: date) -> str:
        return format_date(day, format="dd MMM", locale=self.locale)

    def medium_date(self, day: date | None) -> str:
        return format_date(day, format="dd MMM y", locale=self.locale) if day else ""


def _babel_locale(identifier: str | None) -> Locale:
    try:
        return Locale.parse((identifier or DEFAULT_LOCALE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)
