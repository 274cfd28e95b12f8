"""Short news written for the tests, in every language of the evaluation set, and garbage.

None of it comes from the evaluation data: the news items were written for these tests.
"""

from __future__ import annotations

import random
import string

# Two or three sentences of plain news per language (ISO 639-1).
SHORT_NEWS: dict[str, str] = {
    "cs": "Vláda ve středu schválila nový zákon o dopravě. Ministr uvedl, že peníze půjdou "
          "hlavně na opravy silnic a železnic. Opozice návrh kritizovala jako příliš drahý.",
    "de": "Der Stadtrat hat am Dienstag einen neuen Haushalt beschlossen. Ein großer Teil des "
          "Geldes fließt in die Sanierung von Schulen und Brücken.",
    "en": "The city council approved a new budget on Tuesday. Most of the money will go to "
          "repairing schools and bridges.",
    "fr": "Le conseil municipal a adopté mardi un nouveau budget. La plus grande partie de "
          "l'argent servira à rénover les écoles et les ponts.",
    "ha": "Gwamnatin jihar Kano ta bude sabon asibiti a ranar Litinin. Gwamnan jihar ya ce "
          "asibitin zai taimaka wa mutane da dama a yankin.",
    "is": "Ríkisstjórnin kynnti nýtt frumvarp um húsnæðismál á þriðjudag. Ráðherrann sagði að "
          "markmiðið væri að lækka leiguverð í borginni.",
    "ja": "政府は水曜日、新しい交通計画を発表した。大臣によると、予算の多くは道路と橋の修理に"
          "使われる。野党は計画の費用が高すぎると批判している。",
    "ru": "Правительство в среду утвердило новый план развития транспорта. Министр заявил, что "
          "деньги пойдут на ремонт дорог и мостов.",
    "zh": "政府周三公布了新的交通计划。部长表示，大部分资金将用于修复道路和桥梁。"
          "反对派批评该计划成本过高。",
}

# Longer articles, for summaries that have to choose.
GERMAN_ARTICLE = (
    "Die Stadt Freiburg will bis 2030 alle Linienbusse auf elektrischen Antrieb umstellen. "
    "Der Gemeinderat hat am Dienstag mit großer Mehrheit einen entsprechenden Plan beschlossen. "
    "Die Kosten von rund 80 Millionen Euro sollen zum Teil vom Land getragen werden. "
    "Kritiker bemängeln, dass es in der Stadt noch viel zu wenige Ladestationen für die Busse "
    "gibt. Die Verkehrsbetriebe wollen deshalb zunächst drei Depots umbauen und dort "
    "Ladepunkte einrichten. Der Oberbürgermeister sprach von einem wichtigen Schritt für den "
    "Klimaschutz in der Region. Im kommenden Jahr sollen die ersten zwanzig Elektrobusse auf "
    "den Linien im Stadtzentrum fahren."
)
FRENCH_ARTICLE = (
    "La ville de Lyon va planter cinquante mille arbres dans ses quartiers d'ici à 2030. "
    "Le conseil municipal a voté ce projet lundi soir après un long débat. "
    "Le coût total est estimé à quarante millions d'euros, dont une partie sera payée par la "
    "région. Les opposants estiment que la ville manque encore de jardiniers pour entretenir "
    "les nouveaux arbres. La mairie prévoit donc d'embaucher une centaine d'agents au cours "
    "des trois prochaines années. Le maire a parlé d'une mesure essentielle pour rafraîchir "
    "la ville pendant les étés de plus en plus chauds. Les premières plantations commenceront "
    "dès cet automne dans les quartiers les plus minéraux."
)


def _random_letters(seed: int) -> str:
    rng = random.Random(seed)
    words = ("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
             for _ in range(30))
    return " ".join(words)


# What the README calls garbage, one of each kind, with the word its refusal names.
GARBAGE: dict[str, tuple[str, str]] = {
    "keyboard mash": ("asdf qwer zxcv", "keyboard mash"),
    "long keyboard mash": ("sdfgsdfg hjkhjk werwer tyutyu asdf jkl", "keyboard mash"),
    "random letters": (_random_letters(11), "no language"),
    "repeated tokens": ("buy buy buy buy buy buy buy buy buy buy", "repeats"),
    "a few words on repeat": ("cheap pills now " * 60, "repeats"),
    "binary-ish": (bytes(range(32, 256)).decode("latin-1") * 5 + "\ufffd\x00\x01" * 20,
                   "binary"),
    "base64": ("aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ=" * 30, "no real words"),
    "a single word": ("Markets", "too short"),
}
