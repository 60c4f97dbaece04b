"""Ordinary words of the trial's languages that are also family names, for the free-text screen (`free_text.py`).

Why a list: a family name written alone is flagged when it is written as a name (a capital inside a sentence) or
when it is not an ordinary word. "Long", "White", "Mass", "Klein", "Petit", "Blanco", "Costa", "Bakker" are both;
a reader writing "a long mass" or "klein" in lower case means the word, and refusing that text would make the
screen useless. So a family name is taken for a word only when it is made of the words below, written in lower
case. The list holds (1) the vocabulary of radiology reports in English, (2) the words of English, French, German,
Spanish, Italian, Dutch and Portuguese (the languages of the trial's sites) that are also family names and that a
reader may write in lower case: adjectives and, except in German where every noun takes a capital, ordinary nouns
("smith" or "muller" in lower case is a name, not a word, so neither is here). It is short on purpose: a word
missing here only makes the screen stricter (a lower-case "doe" is refused for patient DOE), never looser. Words
are kept folded (lower case, no accents) as `free_text.fold` makes them.
"""

from __future__ import annotations

_ENGLISH_REPORT = """
abdomen abscess adjacent adrenal air anterior apex arm artery axial axis back base basal bed belly black blood body
bone border bowel brain breast bright broad brown calf canal cap cell centre center chest clear close coarse cold
colon common core cortex cross cyst dark dead deep dense dose down dry duct edge end face fair far fat field fine
firm flat fluid foot free front full gap gland gray great green grey gross ground gut hard head heart heel high hill
hip hole hollow horn joint keen key knee knot lake lane large late lateral lead left leg level light limb line little
liver lobe long loop low lung main mark marsh mass mid mild minor more muscle nail narrow neck nerve new node north
nose old outer pale patch peak pelvis plain plane plate pole pool poor port post power pure quick rib rich ridge
right rim ring rock root rose round sac scan scar seed shaft sharp sheath short side sign simple skin slice small
smooth soft sole south spine spot spring stable stern stone strong sweet tail thick thin tip tissue tone top tract
under vein vessel wall wash water wave weak well west white whole wide wing wise wood worth wound young
bell bird chance day early east gold good grace hand hope house kind law love may miles moon page pearl price rain
ray rice rush salt snow speed steel storm strange summer tower winter
"""
_FRENCH = """
aigu bas beau bel blanc bon bord bois bouche brun chaud clair coeur cote court doux droit dur fin fort franc froid
gauche gras grand gros haut jeune lac large leger lent long mal masse mer mont mou neuf noir nouveau petit plat
plein pont rond roux sain sec simple tissu vide vieux
"""
_GERMAN = """
alt arm braun breit dick dunn fein fest frisch gross gut hart hell hoch jung kalt klar klein kurz lang leicht links
mager neu rechts rot rund sauer scharf schwach schwarz stark tief voll warm weich weiss weit
"""
_SPANISH = """
alto bajo blanco bueno calvo campo claro corto costa cruz delgado duro fino frio fuente gordo grande grueso joven
largo leon lobo mar monte moreno negro nieto nuevo pardo pastor pena pequeno prado puerto ramos rey rico rojo rosa
rubio santo sano seco serrano torre valle viejo
"""
_ITALIAN = """
alto basso bello bianco bruno buono caldo calvo chiaro conte corto costa duro ferro fino fiore fontana freddo
galli gallo giovane grande grasso grosso largo leone lungo lupo magro mare monte moro nero nuovo piccolo pieno
ponte porta riva rocca rosso santo secco sole torre valle vecchio villa
"""
_DUTCH = """
bakker beek berg boer bos breed brouwer de dekker den der diep dik dun groen groot hard hoog jong klein kleine kok
koning kort lang licht molenaar nieuw oud post prins rood schaap scherp smit sterk timmerman van visser vos wit
zwart
"""
_PORTUGUESE = """
alto baixo bom branco campos carvalho costa cruz duro fino forte frio gordo grande jovem largo leao lobo longo
magro mar monte moreno negro novo pequeno pereira pinto preto ramos rocha rosa santos seco torres velho
"""

COMMON_WORDS: frozenset[str] = frozenset(
    word
    for block in (_ENGLISH_REPORT, _FRENCH, _GERMAN, _SPANISH, _ITALIAN, _DUTCH, _PORTUGUESE)
    for word in block.split()
)


def is_common_word(folded: str) -> bool:
    """True when a folded family name (one or more words) is made of ordinary words only."""
    words = folded.split()
    return bool(words) and all(w in COMMON_WORDS for w in words)
