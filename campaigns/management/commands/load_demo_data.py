"""Demo data: the Olympic-passport campaign, a research campaign, past gifts.

Names of people are invented; disciplines and amounts follow the
foundation's public facts. Running it twice changes nothing.
"""

import random
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Beneficiary, Campaign, SuggestedAmount
from campaigns.services import campaign_record_paid_gift
from donors.services import donor_upsert
from payments.models import Gift, RecurringGift
from payments.recurring import month_after, period_of
from payments.services import gift_receipt_mode, gift_record_event
from receipts.models import ReceiptEvent
from receipts.services import receipt_issue_for_gift
from roles.services import roles_sync
from wall.models import WallMessage

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-mecene-2026"  # noqa: S105 - printed by make demo, local only
# One account per role (docs/roles.md), same local-only password.
DEMO_ROLE_USERS = {
    "demo-campagnes": "Campaign manager",
    "demo-finance": "Finance",
    "demo-admin": "Administrator",
}

ATHLETES = [
    (
        "Inès Barrault",
        "Athlétisme, 60 m haies — bronze aux championnats d'Europe en salle 2019",
        "Athletics, 60 m hurdles — European indoor bronze, 2019",
    ),
    (
        "Théo Marchal",
        "Plongeon, 3 m — champion d'Europe 2017, 4e aux Jeux de Rio",
        "Diving, 3 m springboard — European champion 2017, 4th at the Rio Games",
    ),
    (
        "Léa Fontanel",
        "Natation artistique — équipe de France, en duo avec sa sœur jumelle",
        "Artistic swimming — French team, in a duet with her twin sister",
    ),
    (
        "Zoé Fontanel",
        "Natation artistique — équipe de France, en duo avec sa sœur jumelle",
        "Artistic swimming — French team, in a duet with her twin sister",
    ),
    (
        "Samuel Okafor",
        "Escrime, sabre — médaillé aux championnats de France élite",
        "Fencing, sabre — medallist at the French elite championships",
    ),
    (
        "Clara Vasseur",
        "Aviron, deux de couple — finaliste des championnats du monde U23",
        "Rowing, double sculls — world U23 championships finalist",
    ),
    (
        "Hugo Lemaire",
        "Judo, -73 kg — vainqueur d'un tournoi européen junior",
        "Judo, -73 kg — winner of a European junior tournament",
    ),
]

DONORS = [
    ("individual", "Marie", "Lefèvre", "", "75005", "Paris", "FR"),
    (
        "individual",
        "Jean-Baptiste",
        "Moreau",
        "",
        "92100",
        "Boulogne-Billancourt",
        "FR",
    ),
    ("individual", "Sophie", "Durand", "", "69003", "Lyon", "FR"),
    ("individual", "Antoine", "Girard", "", "75014", "Paris", "FR"),
    ("individual", "Camille", "Rousseau", "", "33000", "Bordeaux", "FR"),
    ("individual", "Nicolas", "Fabre", "", "31000", "Toulouse", "FR"),
    ("individual", "Élodie", "Chevalier", "", "94300", "Vincennes", "FR"),
    ("individual", "Pavel", "Dvořák", "", "11000", "Praha", "CZ"),
    ("individual", "Łukasz", "Nowak", "", "00-001", "Warszawa", "PL"),
    ("individual", "Mette", "Ørsted", "", "1050", "København", "DK"),
    ("company", "", "", "Atelier Numérique SAS", "75011", "Paris", "FR"),
    ("company", "", "", "Boulangeries Réunies SARL", "78000", "Versailles", "FR"),
]
# Luhn-valid SIRENs invented for the demo companies.
DEMO_SIRENS = ["909722233", "971924865"]
# Donors' words on the wall, as donors write them.
WALL_MESSAGES = [
    "Allez les athlètes, on croit en vous !",
    "Fière de soutenir les sportifs de notre université.",
    "Good luck from an alumna in Montréal!",
    "Pour Paris, pour le sport, pour les études.",
    "En souvenir de mes années sur la piste du stade Charléty.",
]


class Command(BaseCommand):
    help = "Load the demo foundation's campaigns and a few dozen past gifts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--gifts", type=int, default=36, help="past gifts to create"
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, gifts, seed, **options):
        if gifts < 0 or gifts > 10_000:
            raise CommandError("--gifts must be between 0 and 10000")
        self._ensure_staff()
        if Campaign.objects.filter(slug="passeport-jo").exists():
            self.stdout.write("Demo data already loaded; nothing to do.")
            return
        with transaction.atomic():
            olympic, research = self._campaigns()
        donors = self._past_gifts(olympic, research, gifts, random.Random(seed))  # noqa: S311
        self._monthly_gifts(olympic, donors[:4])
        self._demo_rates()
        self._wall_messages(olympic)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _ensure_staff(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USER, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        roles_sync()
        for username, group in DEMO_ROLE_USERS.items():
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=group))

    def _campaigns(self):
        today = timezone.localdate()
        olympic = Campaign.objects.create(
            slug="passeport-jo",
            status=Campaign.Status.LIVE,
            title_fr="Passeport pour les JO",
            title_en="Olympic passport",
            summary_fr="Une bourse de 3 000 € par an pour chaque étudiant sportif "
            "de haut niveau qui prépare les Jeux olympiques.",
            summary_en="A 3,000 € bourse a year for every high-level student athlete "
            "preparing for the Olympic Games.",
            description_fr=(
                "Depuis une trentaine d'années, l'université accompagne ses sportifs de "
                "haut niveau dans un double projet : le sport et le diplôme.\n\n"
                "Se préparer aux Jeux coûte cher à l'athlète : stages, compétitions, soins, "
                "préparation physique. Chaque étudiant engagé dans un projet olympique "
                "reçoit une bourse de 3 000 € par an, financée par vos dons."
            ),
            description_en=(
                "For some thirty years the university has supported its high-level "
                "athletes in a double project: sport and degree together.\n\n"
                "Preparing for the Games costs the athlete: training camps, competitions, "
                "care and physical preparation. Each student in an Olympic project receives "
                "a 3,000 € bourse a year, funded by your gifts."
            ),
            goal=Money(Decimal(len(ATHLETES) * 3000), "EUR"),
            starts_on=today - timedelta(days=95),
            ends_on=date(today.year + 1, 6, 30),
        )
        for position, (amount, fr, en) in enumerate(
            [
                (50, "une journée de stage", "a day of training camp"),
                (
                    150,
                    "un déplacement en compétition",
                    "a trip to a competition",
                ),
                (
                    500,
                    "un mois de préparation physique",
                    "a month of physical preparation",
                ),
                (
                    3000,
                    "la bourse d'un athlète pour un an",
                    "one athlete's bourse for a year",
                ),
            ]
        ):
            SuggestedAmount.objects.create(
                campaign=olympic,
                amount=Money(amount, "EUR"),
                impact_fr=fr,
                impact_en=en,
                position=position,
            )
        for position, (name, fr, en) in enumerate(ATHLETES):
            Beneficiary.objects.create(
                campaign=olympic,
                public_name=name,
                summary_fr=fr,
                summary_en=en,
                yearly_bourse=Money(3000, "EUR"),
                public_consent=True,
                position=position,
            )
        research = Campaign.objects.create(
            slug="ia-depistage-cancer-sein",
            status=Campaign.Status.LIVE,
            title_fr="L'IA au service du dépistage du cancer du sein",
            title_en="AI for breast-cancer screening",
            summary_fr="Annoter 150 000 mammographies avec les hôpitaux de Paris pour un "
            "dépistage personnalisé.",
            summary_en="Annotating 150,000 mammograms with the Paris hospitals for "
            "personalised screening.",
            description_fr=(
                "Les chercheurs de l'université construisent, avec les hôpitaux de Paris, "
                "des modèles de risque fondés sur la densité mammaire. Vos dons financent "
                "l'annotation d'une base d'environ 150 000 mammographies."
            ),
            description_en=(
                "With the Paris hospitals, the university's researchers are building "
                "density-based risk models. Your gifts fund the annotation of a database "
                "of about 150,000 mammograms."
            ),
            goal=Money(50000, "EUR"),
            starts_on=today - timedelta(days=60),
            ends_on=date(today.year + 1, 3, 31),
        )
        for position, amount in enumerate((30, 100, 250)):
            SuggestedAmount.objects.create(
                campaign=research, amount=Money(amount, "EUR"), position=position
            )
        return olympic, research

    def _past_gifts(self, olympic, research, count, rng):
        beneficiaries = list(olympic.beneficiaries.all())
        donors = []
        for index, (kind, first, last, company, postal, city, country) in enumerate(
            DONORS
        ):
            # NFKD splits accents off letters but leaves Ł and Ø whole.
            slug = (company or f"{first}.{last}").translate(
                str.maketrans("ŁłØø", "LlOo")
            )
            slug = unicodedata.normalize("NFKD", slug)
            slug = slug.encode("ascii", "ignore").decode().lower().replace(" ", "-")
            donors.append(
                donor_upsert(
                    email=f"{slug}@example.org",
                    kind=kind,
                    first_name=first,
                    last_name=last,
                    company_name=company,
                    legal_form="SAS"
                    if "SAS" in company
                    else ("SARL" if company else ""),
                    siren=DEMO_SIRENS[index - 10] if kind == "company" else "",
                    address_line=f"{rng.randint(1, 120)} rue de la République",
                    postal_code=postal,
                    city=city,
                    country=country,
                    language="fr" if country == "FR" else "en",
                    # Partner-university donors abroad pay no French tax; one
                    # Paris donor asked for an annual summary.
                    taxed_in_france=country == "FR",
                    receipt_preference="annual" if index == 0 else "per_gift",
                )
            )
        today = timezone.localdate()
        plan = []
        for _n in range(count):
            campaign = olympic if rng.random() < 0.7 else research
            days_ago = rng.randint(1, min(90, (today - campaign.starts_on).days))
            paid_at = timezone.make_aware(
                datetime.combine(
                    today - timedelta(days=days_ago), time(rng.randint(8, 22))
                )
            )
            plan.append((paid_at, campaign))
        # In date order, so receipt numbers follow the gifts as they would have.
        for paid_at, campaign in sorted(plan, key=lambda item: item[0]):
            donor = rng.choice(donors)
            amount = Decimal(
                rng.choice([20, 30, 50, 50, 100, 150, 150, 200, 500, 1000])
            )
            with transaction.atomic():
                gift = Gift.objects.create(
                    donor=donor,
                    campaign=campaign,
                    beneficiary=rng.choice(beneficiaries + [None, None])
                    if campaign == olympic
                    else None,
                    amount=Money(amount, "EUR"),
                    anonymous=rng.random() < 0.2,
                    language=donor.language,
                    status=Gift.Status.PAID,
                    paid_at=paid_at,
                    receipt_mode=gift_receipt_mode(donor),
                )
                campaign_record_paid_gift(gift=gift)
                gift_record_event(gift, "paid", source="demo data")
                self._settle(gift)
        return donors

    def _demo_rates(self):
        """Exchange rates for the last fortnight, so that the demo takes gifts
        in CZK, PLN and DKK. Marked as demo rates: a real site imports the
        ECB's file (``import_fx_rates``)."""
        from fx.models import FxRate

        today = timezone.localdate()
        rates = {"CZK": "25.1250", "PLN": "4.2175", "DKK": "7.4601"}
        FxRate.objects.bulk_create(
            [
                FxRate(
                    currency=code,
                    day=today - timedelta(days=back),
                    per_eur=Decimal(rate),
                    source="demo data (not ECB figures)",
                )
                for code, rate in rates.items()
                for back in range(15)
            ],
            ignore_conflicts=True,
        )

    def _monthly_gifts(self, campaign, donors):
        """A few monthly donors, three months in. They were set up before the
        offline Stripe held their cards, so the demo shows them but its daily
        run would log them as refused by Stripe."""
        today = timezone.localdate()
        for donor, amount in zip(donors, (10, 20, 30, 50), strict=False):
            charge_day = min(today.day, 28)
            with transaction.atomic():
                plan = RecurringGift.objects.create(
                    donor=donor,
                    campaign=campaign,
                    amount=Money(Decimal(amount), "EUR"),
                    method=Gift.Method.CARD,
                    status=RecurringGift.Status.ACTIVE,
                    language=donor.language,
                    charge_day=charge_day,
                    next_charge_on=month_after(today, charge_day),
                    started_at=timezone.now() - timedelta(days=62),
                )
                for months_ago in (2, 1, 0):
                    day = today - timedelta(days=31 * months_ago)
                    paid_at = timezone.make_aware(datetime.combine(day, time(7)))
                    gift = Gift.objects.create(
                        donor=donor,
                        campaign=campaign,
                        amount=plan.amount,
                        language=donor.language,
                        status=Gift.Status.PAID,
                        paid_at=paid_at,
                        # Monthly donors here chose the annual summary.
                        receipt_mode="annual",
                        recurring=plan,
                        period=period_of(day),
                    )
                    campaign_record_paid_gift(gift=gift)
                    gift_record_event(gift, "paid", source="demo data")
                    self._settle(gift)

    def _settle(self, gift):
        """What the worker would have done long ago, without sending mail."""
        receipt = receipt_issue_for_gift(gift.pk, notify=False)
        if receipt is None:
            Gift.objects.filter(pk=gift.pk).update(thanked_at=gift.paid_at)
            return
        ReceiptEvent.objects.create(
            receipt=receipt, kind=ReceiptEvent.Kind.EMAILED, data={"demo": "not sent"}
        )
        receipt.emailed_at = receipt.issued_at
        receipt.save(update_fields=["emailed_at"])

    def _wall_messages(self, campaign):
        """Messages on one gift in four: two approved for one left to moderate."""
        gifts = Gift.objects.filter(campaign=campaign, status=Gift.Status.PAID)
        for index, gift_id in enumerate(
            gifts.order_by("paid_at").values_list("pk", flat=True)
        ):
            if index % 4:
                continue
            WallMessage.objects.create(
                gift_id=gift_id,
                text=WALL_MESSAGES[index // 4 % len(WALL_MESSAGES)],
                status="pending" if index % 12 == 0 else "approved",
            )
