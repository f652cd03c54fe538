from django.utils import translation

from exchange.lots.models import Condition, LotStatus
from exchange.matching.models import MatchStatus, WantedStatus


def test_french_labels_agree_with_what_they_describe():
    # a lot (un lot) is masculine, a wanted request (une demande) and a match (une
    # correspondance) feminine; "New" is "Neuf" for a thing's condition
    with translation.override("fr"):
        assert (LotStatus.EXPIRED.label, WantedStatus.EXPIRED.label) == ("Expiré", "Expirée")
        assert (LotStatus.WITHDRAWN.label, WantedStatus.WITHDRAWN.label) == ("Retiré", "Retirée")
        assert (WantedStatus.OPEN.label, WantedStatus.FULFILLED.label) == ("Ouverte", "Satisfaite")
        assert (Condition.NEW.label, MatchStatus.NEW.label) == ("Neuf", "Nouvelle")
