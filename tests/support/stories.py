"""News written for the curation tests: one event told by five outlets, and other events.

Every text is made up for these tests (no evaluation data): the bridge story is the same
event as five newsrooms would write it, with the same facts in different words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    outlet: str
    url: str
    title: str
    text: str


BRIDGE = [
    Piece("Harbour Herald", "https://herald.example/bridge",
          "Storm brings down Elwyn river bridge, two drivers rescued",
          "The Elwyn river bridge collapsed on Tuesday night after a storm brought winds of "
          "130 kilometres an hour to Port Elwyn, the city's fire service said. Two drivers "
          "whose cars fell with the central span were pulled from the water by rescuers and "
          "taken to St Brigid hospital with minor injuries. The 1962 bridge carried about "
          "18,000 vehicles a day between the harbour and the northern suburbs. Mayor Ines "
          "Marlow said engineers had inspected the bridge in March and found no sign of "
          "danger. Ferries will run every twenty minutes from Wednesday while the city "
          "decides how to replace the span."),
    Piece("Coast Courier", "https://courier.example/news/elwyn-bridge",
          "Elwyn bridge collapses in storm; mayor orders inquiry",
          "Port Elwyn's river bridge fell into the Elwyn on Tuesday as a violent storm swept "
          "the coast with gusts reaching 130 km/h. Firefighters rescued two motorists whose "
          "vehicles went down with the middle span; both were treated at St Brigid hospital. "
          "Mayor Ines Marlow ordered an independent inquiry and said the last inspection, in "
          "March, had raised no concerns. Around 18,000 vehicles crossed the 1962 bridge each "
          "day. Extra ferries across the harbour start on Wednesday."),
    Piece("Northern Times", "https://times.example/2026/bridge-collapse",
          "Two rescued as Port Elwyn bridge collapses during storm",
          "Two people were rescued from the Elwyn river on Tuesday night when the Port Elwyn "
          "bridge collapsed in a storm. The central span gave way as winds of up to 130 "
          "kilometres an hour hit the city, the fire service said, and two cars fell into the "
          "river. Both drivers were taken to St Brigid hospital with minor injuries. The "
          "bridge, opened in 1962, was used by 18,000 vehicles a day. Mayor Ines Marlow said "
          "the structure had passed an inspection in March. The city will run ferries every "
          "twenty minutes from Wednesday."),
    Piece("Radio Elwyn", "https://radio.example/elwyn/bridge-storm",
          "Port Elwyn bridge falls in 130 km/h storm",
          "A storm with winds of 130 kilometres an hour brought down the Port Elwyn river "
          "bridge on Tuesday. Rescuers pulled two drivers out of the Elwyn after their cars "
          "fell with the central span; St Brigid hospital said their injuries were minor. "
          "Mayor Ines Marlow said the 1962 bridge, which carried 18,000 vehicles a day, had "
          "been inspected in March. Ferries will cross the harbour every twenty minutes from "
          "Wednesday."),
    Piece("Daily Ledger", "https://ledger.example/elwyn-bridge-collapse",
          "Elwyn river bridge collapse: what we know",
          "The Elwyn river bridge in Port Elwyn collapsed on Tuesday night during a storm. "
          "Winds reached 130 kilometres an hour, the fire service said. Two drivers whose "
          "cars fell with the central span were rescued and treated at St Brigid hospital "
          "for minor injuries. The bridge opened in 1962 and carried 18,000 vehicles a day "
          "between the harbour and the northern suburbs. Mayor Ines Marlow said the March "
          "inspection found no danger and promised ferries every twenty minutes from "
          "Wednesday."),
]

BRIDGE_FOLLOW_UP = Piece(
    "Harbour Herald", "https://herald.example/bridge-divers",
    "Divers find cause of Elwyn bridge collapse",
    "Divers inspecting the wreck of the Elwyn river bridge in Port Elwyn found that a pier "
    "foundation had been scoured away by the storm, the city's engineers said on Thursday. "
    "Mayor Ines Marlow said a temporary bridge for the 18,000 vehicles that crossed each day "
    "could open within three months, and the ferries will keep running every twenty minutes "
    "until then. The two drivers rescued on Tuesday have left St Brigid hospital.")

OTHER_NEWS = [
    Piece("Harbour Herald", "https://herald.example/orchestra",
          "City orchestra names Tomasz Wren as conductor",
          "The Port Elwyn Philharmonic named the Polish conductor Tomasz Wren as its music "
          "director on Monday, ending a two-year search. Wren, 41, has led the Gdansk Chamber "
          "Players since 2019 and will conduct twelve concerts in his first season, opening "
          "with Mahler's fifth symphony in October. The orchestra's chair said ticket sales "
          "rose by a fifth last year."),
    Piece("Coast Courier", "https://courier.example/news/fishing-quota",
          "Fishing fleet wins larger herring quota",
          "Trawler crews in the northern fishing fleet will be allowed to land 12 percent more "
          "herring next year after scientists reported that stocks had recovered, the "
          "fisheries ministry announced on Monday. The fleet's union welcomed the decision "
          "but warned that fuel prices still threatened smaller boats. Conservation groups "
          "said the increase was larger than the scientists had advised."),
]


def feed_xml(title: str, pieces: list[Piece], *, categories: dict[str, list[str]] | None = None
             ) -> str:
    """An RSS 2.0 feed carrying each piece's whole text (so no page is fetched)."""
    items = []
    for piece in pieces:
        tags = "".join(f"<category>{c}</category>" for c in (categories or {}).get(piece.url, []))
        items.append(f"<item><title>{piece.title}</title><link>{piece.url}</link>{tags}"
                     f"<description>{piece.text}</description></item>")
    return ("<?xml version='1.0'?><rss version='2.0'><channel>"
            f"<title>{title}</title><link>https://example.org/</link>{''.join(items)}"
            "</channel></rss>")
