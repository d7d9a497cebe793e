"""Plausible legal identities and general conditions of sale for the demo entities (issue 17)."""

from __future__ import annotations

# entity number → (head office, phone, e-mail, SIRET, RCS, TVA intracommunautaire, capital in cents)
LEGAL = {
    45: (
        "16 Rue Guepet 71100 Chalon-sur-Saône",
        "+33 3 85 00 00 60",
        "contact@pp-vincent.example.fr",
        "81234567600025",
        "RCS Chalon-sur-Saône 812 345 676",
        "FR19812345676",
        10_000_000,
    ),
    51: (
        "5 Rue de la République 69001 Lyon",
        "+33 4 72 00 00 70",
        "contact@pp-audrey.example.fr",
        "79345128700023",
        "RCS Lyon 793 451 287",
        "FR63793451287",
        5_000_000,
    ),
    30: ("", "", "", "83210456600027", "RCS Paris 832 104 566", "FR86832104566", 3_700_000),
    25: ("", "", "", "80457219600025", "RCS Pontoise 804 572 196", "FR28804572196", 1_500_000),
    160: (
        "24 Avenue de la Demi-Lune 95700 Roissy-en-France",
        "+33 1 30 00 01 60",
        "contact@holding-test.example.fr",
        "84512306600027",
        "RCS Pontoise 845 123 066",
        "FR88845123066",
        100_000_000,
    ),
}

CONDITIONS = """Article 1 — Objet
Les présentes conditions générales de vente régissent la vente de véhicules neufs et d'occasion par le vendeur désigné au recto du bon de commande. Toute commande implique l'acceptation sans réserve des présentes conditions.

Article 2 — Commande
La commande est ferme et définitive dès sa signature par le client et le vendeur. Toute modification ultérieure fait l'objet d'un avenant signé des deux parties.

Article 3 — Prix
Le prix est celui figurant au bon de commande, toutes taxes comprises au taux de TVA en vigueur à la date de la commande. Pour un véhicule neuf, toute variation de la fiscalité applicable à la livraison est répercutée sur le prix.

Article 4 — Acompte
L'acompte versé à la commande, par tout moyen dont le paiement en ligne par carte bancaire, s'impute sur le prix. Il est restitué au client si la commande est annulée du fait du vendeur, ou si la livraison n'intervient pas à la date de livraison extrême.

Article 5 — Livraison
Le véhicule est livré au point de vente indiqué, à la date de livraison prévue. Passé la date de livraison extrême, le client peut annuler sa commande par lettre recommandée avec accusé de réception et obtenir la restitution de l'acompte, majoré des intérêts au taux légal.

Article 6 — Paiement du solde
Le solde est réglé au plus tard à la livraison, selon le moyen de paiement indiqué au bon de commande. Le paiement en espèces est limité à 1 000 € conformément à l'article L. 112-6 du code monétaire et financier.

Article 7 — Transfert de propriété
Le transfert de propriété intervient au paiement intégral du prix. Les risques sont transférés au client à la livraison.

Article 8 — Garanties
Le client bénéficie de la garantie légale de conformité (articles L. 217-3 et suivants du code de la consommation) et de la garantie des vices cachés (articles 1641 et suivants du code civil), ainsi que de la garantie contractuelle du constructeur pour un véhicule neuf.

Article 9 — Données personnelles
Les données recueillies sont nécessaires au traitement de la commande. Le client dispose d'un droit d'accès, de rectification et d'effacement auprès du vendeur, selon la politique de confidentialité communiquée.

Article 10 — Médiation et litiges
En cas de litige, le client peut recourir gratuitement au médiateur de la consommation dont relève le vendeur. À défaut d'accord amiable, les tribunaux compétents sont ceux prévus par la loi."""
