"""Generate the seed catalog (data/seed/) from a seed number, the same bytes every run.

    python -m scripts.generate_catalog [--seed 2026] [--products 5000] [--out data/seed]

`--products` counts offers: a `Product` is one merchant's offer, and most products are offered
by several merchants (same brand, model and GTIN; their own title, price and cashback rate).
Every choice comes from one `random.Random(seed)` and prices are Decimal, so the output depends
on the arguments alone. The tests compare the committed files with a fresh run.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "common"))

from cashback.models import Merchant, Product
from cashback.money import cents
from cashback.text import fold

DEFAULT_SEED = 2026
DEFAULT_PRODUCTS = 5000
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "seed"

# How many merchants sell one product, and how often (percent).
MERCHANTS_PER_PRODUCT = {1: 20, 2: 26, 3: 24, 4: 15, 5: 10, 6: 5}
IN_STOCK_SHARE = 0.9
GTIN_SHARE = 0.88
UNRATED_SHARE = 0.05
USD_TO = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79"), "CAD": Decimal("1.37")}
# GS1 country prefixes outside the restricted ranges (020-059, 200-299, 977-999).
GS1_PREFIXES = ("001", "008", "012", "019", "070", "081", "400", "412", "430", "450", "490", "500", "690", "761", "880")
SUBID_PARAMS = ("subid", "aff_sub", "u1", "sid", "clickref", "subId1")
PRICE_ENDINGS = (Decimal("0.01"), Decimal("0.05"), Decimal("0.00"), Decimal("0.51"))
MODEL_SUFFIXES = ("", "", "", " Pro", " Plus", " Max", " Lite", " Mini", " II", " SE")
COLOURS = ("Black", "White", "Silver", "Graphite", "Navy", "Sage Green", "Sand", "Red")
TITLE_STYLES = (
    "{brand} {model} {feature} {kind}",
    "{brand} {model} {feature} {kind}, {colour}",
    "{brand} {model} {kind} ({colour})",
    "{brand_upper} {model} {kind} - {feature}",
    "{kind} {brand} {model}, {feature}, {colour}",
)
URL_STYLES = (
    "https://www.{domain}/p/{sku}",
    "https://www.{domain}/product/{slug}/{sku}",
    "https://www.{domain}/dp/{sku}",
    "https://www.{domain}/{category}/{slug}-{sku}.html",
    "https://www.{domain}/item/{sku}?color={colour}",
)


Kind = tuple[str, int, int]  # what the product is, its lowest and highest list price in USD


@dataclass(frozen=True)
class Department:
    """One category: what its products are, who makes them, what they cost."""

    category: str
    kinds: tuple[Kind, ...]
    features: tuple[str, ...]
    brands: tuple[str, ...]
    series: tuple[str, ...]
    colours: tuple[str, ...] = COLOURS


DEPARTMENTS = (
    Department(
        category="audio",
        kinds=(
            ("Wireless Headphones", 49, 449),
            ("True Wireless Earbuds", 29, 299),
            ("Bluetooth Speaker", 25, 399),
            ("Soundbar", 99, 999),
            ("Turntable", 89, 699),
        ),
        features=("Noise Cancelling", "Hi-Res", "Waterproof", "40-Hour Battery", "Spatial Audio"),
        brands=("Auralis", "Sonvik", "Kestrel Audio", "Bassline", "Harmonia", "Vantro"),
        series=("Aria", "Pulse", "Echo", "Studio", "Drift", "Tempo"),
    ),
    Department(
        category="laptops",
        kinds=(
            ("Laptop", 399, 1799),
            ("Ultrabook", 799, 2299),
            ("Gaming Laptop", 899, 2999),
            ("2-in-1 Laptop", 499, 1599),
            ("Chromebook", 199, 599),
        ),
        features=(
            '14" FHD 16GB RAM 512GB SSD',
            '15.6" OLED 32GB RAM 1TB SSD',
            '13.3" Touch 8GB RAM 256GB SSD',
            '16" QHD',
        ),
        brands=("Corvix", "Lumatek", "Novabyte", "Altair Systems", "Zenbit", "Quillon"),
        series=("AirBook", "Vector", "Prism", "Horizon", "Apex", "Slate"),
        colours=("Space Grey", "Silver", "Black", "Midnight Blue"),
    ),
    Department(
        category="phones",
        kinds=(
            ("Smartphone", 199, 1199),
            ("5G Smartphone", 299, 1399),
            ("Rugged Smartphone", 199, 699),
            ("Flip Phone", 49, 149),
        ),
        features=("128GB Unlocked", "256GB Dual SIM", "512GB", "Triple Camera"),
        brands=("Orbix", "Telvo", "Mirra Mobile", "Nexora", "Pinecell", "Halcyon"),
        series=("One", "Edge", "Nova", "Zen", "Spark", "Aero"),
    ),
    Department(
        category="tablets",
        kinds=(("Tablet", 129, 1099), ("Drawing Tablet", 59, 899), ("E-Reader", 89, 349), ("Kids Tablet", 79, 199)),
        features=('10.9" 64GB Wi-Fi', '11" 128GB', '7" Glare-Free', '12.4" AMOLED'),
        brands=("Novabyte", "Orbix", "Inkwell", "Lumatek", "Papyra", "Telvo"),
        series=("Tab", "Pad", "Folio", "Canvas", "Page", "Note"),
    ),
    Department(
        category="cameras",
        kinds=(
            ("Mirrorless Camera", 499, 2999),
            ("Action Camera", 129, 549),
            ("Instant Camera", 59, 199),
            ("Dash Cam", 49, 299),
            ("Zoom Lens", 249, 1999),
        ),
        features=("4K60", "24MP Full-Frame", "Image Stabilised", "Weather Sealed", "Night Vision"),
        brands=("Optika", "Fotaro", "Vistar", "Lumos Imaging", "Kirin Optical", "Shutterline"),
        series=("Alpha", "Vista", "Hero", "Snap", "Focus", "Trek"),
    ),
    Department(
        category="tvs",
        kinds=(
            ("4K Smart TV", 199, 1299),
            ("QLED TV", 399, 2499),
            ("OLED TV", 899, 3999),
            ("Home Cinema Projector", 149, 1999),
        ),
        features=("43-Inch", "55-Inch", "65-Inch", "75-Inch", "HDR10+ 120Hz"),
        brands=("Lumina", "Visionary", "Pixelon", "Crestview", "Tenzai", "Aurora Vision"),
        series=("Q", "C", "Vue", "Cinema", "Frame", "Motion"),
        colours=("Black", "Titan Grey", "Silver"),
    ),
    Department(
        category="gaming",
        kinds=(
            ("Gaming Headset", 29, 299),
            ("Wireless Controller", 39, 199),
            ("Mechanical Keyboard", 49, 249),
            ("Gaming Mouse", 19, 159),
            ("Handheld Console", 199, 699),
        ),
        features=("RGB", "Low Latency", "Hot-Swappable", "Tournament Edition", "26K DPI"),
        brands=("Raptorex", "Nightforge", "Glyph Gaming", "Kraken Forge", "Volt Arcade", "Ironpixel"),
        series=("Viper", "Talon", "Blade", "Nexus", "Storm", "Rogue"),
    ),
    Department(
        category="smart-home",
        kinds=(
            ("Smart Plug", 9, 39),
            ("Video Doorbell", 49, 249),
            ("Smart Thermostat", 79, 279),
            ("Security Camera", 29, 199),
            ("Smart Bulb 4-Pack", 19, 79),
        ),
        features=("Wi-Fi", "Matter Compatible", "2K HDR", "Voice Control", "Battery Powered"),
        brands=("Homelink", "Brightnest", "Sentrio", "Lumio", "Casa Logic", "Wattwise"),
        series=("Hub", "Guard", "Glow", "Sense", "Home", "Halo"),
        colours=("White", "Black", "Satin Nickel"),
    ),
    Department(
        category="wearables",
        kinds=(
            ("Smartwatch", 99, 799),
            ("Fitness Tracker", 29, 199),
            ("GPS Running Watch", 149, 899),
            ("Smart Ring", 199, 449),
        ),
        features=("AMOLED", "Heart Rate", "Sleep Tracking", "Solar", "LTE"),
        brands=("Pacewell", "Orbix", "Tempus", "Vitalis", "Strideband", "Corefit"),
        series=("Fit", "Run", "Sport", "Active", "Trail", "Pulse"),
    ),
    Department(
        category="kitchen",
        kinds=(
            ("Espresso Machine", 149, 1299),
            ("Air Fryer", 49, 249),
            ("Blender", 29, 499),
            ("Stand Mixer", 149, 699),
            ("Electric Kettle", 19, 149),
            ("Chef's Knife", 25, 249),
            ("Non-Stick Frying Pan", 19, 149),
            ("Cookware Set", 79, 599),
            ("Toaster", 25, 199),
        ),
        features=("Stainless Steel", "5.8-Quart", "1500W", "Programmable", "Cordless"),
        brands=("Copperline", "Brava Cucina", "Kitchenwright", "Whisk & Co.", "Cuisora", "Hearthstone"),
        series=("Barista", "Crisp", "Vortex", "Artisan", "Classic", "Chef"),
        colours=("Stainless", "Matte Black", "Cream", "Red", "Sage Green"),
    ),
    Department(
        category="appliances",
        kinds=(
            ("Robot Vacuum", 149, 1299),
            ("Cordless Stick Vacuum", 99, 799),
            ("Air Purifier", 59, 699),
            ("Dehumidifier", 129, 399),
            ("Tower Fan", 39, 249),
        ),
        features=("HEPA", "Self-Emptying", "Quiet Mode", "Smart App Control", "Energy Star"),
        brands=("Dustora", "Purelle", "Breezia", "Cleanwave", "Aerotek", "Homevac"),
        series=("Cyclone", "Clean", "Breeze", "Pure", "Turbo", "Swift"),
        colours=("White", "Grey", "Black"),
    ),
    Department(
        category="furniture",
        kinds=(
            ("Ergonomic Office Chair", 99, 1299),
            ("Standing Desk", 199, 999),
            ("Bookshelf", 49, 499),
            ("Sofa", 399, 2999),
            ("Bed Frame", 149, 1499),
        ),
        features=("Solid Oak", "Mesh Back", "Height Adjustable", "Mid-Century", "Queen Size"),
        brands=("Oakhurst", "Nordvik", "Loftline", "Willow & Pine", "Sedona Home", "Arbor Lane"),
        series=("Haven", "Mesa", "Linden", "Kite", "Atlas", "Oslo"),
        colours=("Walnut", "Oak", "Charcoal", "Linen", "White"),
    ),
    Department(
        category="tools",
        kinds=(
            ("Cordless Drill", 59, 299),
            ("Impact Driver", 69, 299),
            ("Circular Saw", 79, 349),
            ("Mechanics Tool Set", 49, 399),
            ("Laser Level", 29, 299),
        ),
        features=("20V Brushless", "2-Battery Kit", "Tool Only", "230-Piece", "Self-Levelling"),
        brands=("Forgeline", "Torqmax", "Ironridge", "Boltwright", "Stanmark", "Grizzly Tools"),
        series=("Pro", "Max", "Fuel", "Core", "Titan", "Edge"),
        colours=("Yellow", "Red", "Blue", "Black"),
    ),
    Department(
        category="garden",
        kinds=(
            ("Lawn Mower", 199, 899),
            ("Hedge Trimmer", 49, 249),
            ("Leaf Blower", 49, 349),
            ("Pressure Washer", 129, 599),
            ("Expandable Garden Hose", 19, 79),
        ),
        features=("Cordless 40V", "Self-Propelled", "2000 PSI", "Lightweight", "50 ft"),
        brands=("Greenstead", "Yardcraft", "Verdant", "Thornbury", "Meadowline", "Fieldmaster"),
        series=("Mow", "Trim", "Gust", "Jet", "Flow", "Field"),
        colours=("Green", "Orange", "Black"),
    ),
    Department(
        category="shoes",
        kinds=(
            ("Running Shoes", 79, 249),
            ("Trail Running Shoes", 89, 229),
            ("Sneakers", 49, 179),
            ("Hiking Boots", 99, 299),
            ("Walking Shoes", 59, 159),
            ("Sandals", 25, 129),
            ("Ankle Boots", 69, 249),
            ("Slippers", 19, 89),
        ),
        features=("Men's", "Women's", "Waterproof", "Wide Fit", "Carbon Plate"),
        brands=("Stridewell", "Peakform", "Swiftline", "Tarsus", "Velora", "Ridgeway"),
        series=("Glide", "Surge", "Cloud", "Trail", "Tempo", "Summit"),
    ),
    Department(
        category="fitness",
        kinds=(
            ("Adjustable Dumbbells", 99, 449),
            ("Yoga Mat", 15, 129),
            ("Exercise Bike", 249, 1999),
            ("Resistance Bands Set", 15, 59),
            ("Folding Treadmill", 299, 1499),
        ),
        features=("52.5 lb", "Non-Slip", "Magnetic Resistance", "Bluetooth", "Compact"),
        brands=("Corefit", "Ironpeak", "Flexora", "Kinetix", "Zenfit", "Powerhaus"),
        series=("Flex", "Core", "Power", "Cycle", "Stride", "Balance"),
    ),
    Department(
        category="outdoor",
        kinds=(
            ("4-Person Tent", 99, 599),
            ("Sleeping Bag", 39, 449),
            ("Hiking Backpack", 59, 349),
            ("Trekking Poles", 29, 179),
            ("Camping Stove", 29, 199),
            ("Headlamp", 15, 99),
        ),
        features=("Ultralight", "3-Season", "Waterproof", "Rechargeable", "Insulated"),
        brands=("Timberline", "Northpeak", "Cairn", "Wildfern", "Basecamp Co.", "Alpenglow"),
        series=("Ridge", "Summit", "Trail", "Canyon", "Aspen", "Glacier"),
        colours=("Forest Green", "Orange", "Slate", "Sand", "Black"),
    ),
    Department(
        category="beauty",
        kinds=(
            ("Hair Dryer", 29, 499),
            ("Electric Toothbrush", 29, 299),
            ("Beard Trimmer", 19, 149),
            ("Vitamin C Serum", 12, 89),
            ("Curling Iron", 19, 199),
            ("Shampoo", 6, 39),
            ("Face Moisturizer", 9, 79),
            ("Lipstick", 7, 45),
            ("Perfume", 29, 189),
            ("Mineral Sunscreen SPF 50", 9, 39),
            ("Mascara", 6, 32),
        ),
        features=("Ionic", "Sonic", "Fragrance-Free", "Travel Size", "Ceramic", "Vegan"),
        brands=("Lumiere", "Silkara", "Dermaly", "Velvetine", "Bellamy", "Purewell"),
        series=("Glow", "Silk", "Radiance", "Pure", "Smooth", "Luxe"),
        colours=("Rose Gold", "White", "Black", "Pink"),
    ),
    Department(
        category="toys",
        kinds=(
            ("Building Blocks Set", 19, 249),
            ("Remote Control Car", 29, 199),
            ("Board Game", 15, 69),
            ("Plush Toy", 9, 49),
            ("Mini Drone", 39, 249),
            ("Building Bricks Set, LEGO Compatible", 19, 149),
            ("1000-Piece Jigsaw Puzzle", 12, 39),
            ("Fashion Doll", 12, 59),
            ("Action Figure", 9, 49),
        ),
        features=("Ages 8+", "1,200 Pieces", "Rechargeable", "Family Edition", "STEM"),
        brands=("Brickly", "Funtastik", "Wonderwood", "Zoomzoom", "Little Atlas", "Playforge"),
        series=("City", "Racer", "Quest", "Buddy", "Explorer", "Rocket"),
        colours=("Multicolour", "Blue", "Red", "Yellow"),
    ),
    Department(
        category="pet-supplies",
        kinds=(
            ("Orthopedic Dog Bed", 39, 199),
            ("Cat Tree", 49, 249),
            ("Automatic Pet Feeder", 49, 179),
            ("No-Pull Dog Harness", 15, 59),
            ("Pet Camera", 39, 199),
        ),
        features=("Large", "Washable", "Wi-Fi", "Reflective", "Multi-Level"),
        brands=("Pawsome", "Whiskerly", "Tailwind Pets", "Furbridge", "Barkley & Co.", "Kittikat Home"),
        series=("Cozy", "Snug", "Feast", "Trek", "Watch", "Tower"),
        colours=("Grey", "Brown", "Navy", "Beige"),
    ),
    Department(
        category="apparel",
        kinds=(
            ("Rain Jacket", 39, 249),
            ("Puffer Jacket", 59, 399),
            ("Hoodie", 25, 89),
            ("Slim Fit Jeans", 29, 129),
            ("Crew Neck T-Shirt", 9, 39),
            ("Wrap Dress", 29, 149),
            ("High-Waisted Leggings", 19, 98),
            ("Wool Socks 3-Pack", 12, 39),
            ("Fleece Jacket", 29, 149),
        ),
        features=("Men's", "Women's", "Organic Cotton", "Recycled", "Water-Repellent"),
        brands=("Northloom", "Threadwell", "Corvo & Co.", "Ashby Denim", "Kindred Knit", "Fenwick"),
        series=("Classic", "Everyday", "Heritage", "Urban", "Coastal", "Alpine"),
        colours=("Black", "Navy", "Heather Grey", "Olive", "Cream", "Burgundy", "Indigo"),
    ),
    Department(
        category="coffee",
        kinds=(
            ("Whole Bean Coffee, 2 lb", 12, 39),
            ("Ground Coffee, 12 oz", 7, 19),
            ("Drip Coffee Maker", 29, 249),
            ("Burr Coffee Grinder", 29, 299),
            ("French Press", 19, 79),
            ("Pour-Over Coffee Dripper", 15, 59),
            ("Cold Brew Coffee Maker", 19, 69),
            ("Insulated Travel Mug", 12, 45),
        ),
        features=("Medium Roast", "Dark Roast", "Single Origin", "12-Cup", "Stainless Steel", "Decaf"),
        brands=(
            "Roastwell",
            "Bean & Bloom",
            "Morning Ritual",
            "Crema Coffee Co.",
            "Highland Roasters",
            "Kettle & Bean",
        ),
        series=("Sunrise", "Origin", "Barista", "Velvet", "Summit", "Harbor"),
        colours=("Black", "Stainless", "Copper", "White", "Matte Green"),
    ),
    Department(
        category="books",
        kinds=(
            ("Mystery Novel", 9, 29),
            ("Science Fiction Novel", 9, 29),
            ("Cookbook", 15, 45),
            ("Children's Picture Book", 7, 24),
            ("Biography", 12, 35),
            ("Self-Help Book", 10, 28),
        ),
        features=("Paperback", "Hardcover", "Large Print", "Signed Edition", "Box Set"),
        brands=("Larkspur Press", "Quillfeather Books", "Harbor Lane Publishing", "Bramblewood", "Inkstone House"),
        series=("Orchard", "Lighthouse", "Winter", "Compass", "Ember", "Atlas"),
        colours=("First Edition", "Illustrated Edition", "Anniversary Edition"),
    ),
    Department(
        category="home",
        kinds=(
            ("Bath Towel Set", 19, 99),
            ("Queen Sheet Set", 29, 249),
            ("Down Alternative Comforter", 39, 199),
            ("Memory Foam Pillow", 19, 89),
            ("Scented Candle", 9, 49),
            ("Table Lamp", 25, 199),
            ("Area Rug", 49, 499),
            ("Memory Foam Mattress", 199, 1499),
            ("Blackout Curtains", 19, 99),
        ),
        features=("100% Cotton", "Hypoallergenic", "Soy Wax", "Machine Washable", "Linen Blend"),
        brands=("Linenly", "Hearthside", "Cozyloft", "Maple Row", "Dovecote", "Serene Home"),
        series=("Cloud", "Haven", "Meadow", "Coastline", "Loft", "Willow"),
        colours=("White", "Ivory", "Charcoal", "Sage Green", "Blush", "Navy"),
    ),
    Department(
        category="sports",
        kinds=(
            ("Soccer Ball", 15, 69),
            ("Basketball", 19, 79),
            ("Tennis Racket", 39, 249),
            ("Bike Helmet", 29, 199),
            ("Road Bike", 499, 2999),
            ("Golf Balls 12-Pack", 19, 54),
            ("Swim Goggles", 9, 39),
            ("Pickleball Paddle", 29, 199),
        ),
        features=("Official Size", "Lightweight", "Carbon Fibre", "Adult", "Youth"),
        brands=("Pitchline", "Courtside", "Velocita", "Fairway & Co.", "Aquafin", "Kickstar"),
        series=("Pro", "Match", "Elite", "Club", "Sprint", "Rally"),
        colours=("White", "Black", "Orange", "Blue", "Neon Yellow"),
    ),
    Department(
        category="accessories",
        kinds=(
            ("Phone Case", 9, 59),
            ("USB-C Fast Charger", 15, 79),
            ("Power Bank", 19, 129),
            ("Wireless Mouse", 15, 99),
            ("27-Inch Monitor", 149, 799),
            ("USB-C Hub", 19, 99),
        ),
        features=("MagSafe Compatible", "65W GaN", "20000mAh", "Bluetooth", "4K IPS", "Slim"),
        brands=("Voltcraft Labs", "Anchorline", "Pixelguard", "Tethr", "Lumatek", "Ampere & Co."),
        series=("Shield", "Charge", "Go", "Link", "View", "Dock"),
        colours=("Black", "Clear", "White", "Blue", "Graphite"),
    ),
)
CATEGORIES = tuple(d.category for d in DEPARTMENTS)
ELECTRONICS = (
    "audio",
    "laptops",
    "phones",
    "tablets",
    "cameras",
    "tvs",
    "gaming",
    "smart-home",
    "wearables",
    "accessories",
)
HOME = ("kitchen", "appliances", "furniture", "smart-home", "tools", "garden", "pet-supplies", "home", "coffee")
SPORTS = ("shoes", "fitness", "outdoor", "wearables", "sports")
FASHION = ("apparel", "shoes", "beauty")

# Merchants: name, categories sold (empty: all), currency.
SHOPS = (
    ("Northwind Market", (), "USD"),
    ("Bluebird Depot", (), "USD"),
    ("Maple & Main", (), "USD"),
    ("Everyday Outlet", (), "USD"),
    ("Harbor Goods", (), "USD"),
    ("Crescent Mart", (), "USD"),
    ("Voltage Electronics", ELECTRONICS, "USD"),
    ("Pixel Peak", ELECTRONICS, "USD"),
    ("Gadget Grove", ELECTRONICS, "USD"),
    ("Bytewise", ("laptops", "tablets", "phones", "gaming", "wearables", "accessories"), "USD"),
    ("Signal & Sound", ("audio", "tvs", "smart-home"), "USD"),
    ("Lensworks", ("cameras", "audio"), "USD"),
    ("Level Up Games", ("gaming", "tvs", "toys"), "USD"),
    ("Mobile Hub", ("phones", "tablets", "wearables", "audio", "accessories"), "USD"),
    ("Hearth & Home", HOME, "USD"),
    ("Copper Kettle Co", ("kitchen", "appliances"), "USD"),
    ("Oak & Ember Furniture", ("furniture",), "USD"),
    ("Ironclad Tools", ("tools", "garden"), "USD"),
    ("Greenleaf Garden Supply", ("garden", "outdoor", "tools"), "USD"),
    ("Nest & Nook", ("furniture", "kitchen", "pet-supplies"), "USD"),
    ("Summit Outfitters", ("outdoor", "shoes", "fitness", "apparel", "sports"), "USD"),
    ("Stride Running Co", ("shoes", "wearables", "fitness"), "USD"),
    ("Trailhead Supply", ("outdoor", "shoes"), "USD"),
    ("PowerHouse Fitness", ("fitness", "wearables"), "USD"),
    ("Glow Apothecary", ("beauty",), "USD"),
    ("Lather & Bloom", ("beauty",), "USD"),
    ("Kite & Crayon", ("toys", "books"), "USD"),
    ("Tiny Tinkerers", ("toys", "gaming"), "USD"),
    ("Happy Paws", ("pet-supplies",), "USD"),
    ("Whisker Warehouse", ("pet-supplies",), "USD"),
    ("Thread & Needle", ("apparel",), "USD"),
    ("Urban Closet", FASHION, "USD"),
    ("Fieldhouse Sports", SPORTS, "USD"),
    ("Daily Grind Roasters", ("coffee",), "USD"),
    ("Bean There Coffee", ("coffee", "kitchen"), "USD"),
    ("Chapter & Verse Books", ("books",), "USD"),
    ("Page Turner", ("books", "toys"), "USD"),
    ("Linen & Loom", ("home", "furniture"), "USD"),
    ("Eurotek Versand", ELECTRONICS, "EUR"),
    ("Maison Lumiere", (*HOME, "beauty", "apparel"), "EUR"),
    ("Albion Direct", (), "GBP"),
    ("Northern Lights Trading", (), "CAD"),
)


@dataclass(frozen=True)
class Storefront:
    """A merchant and its house habits: what it sells and how it writes titles, links and prices."""

    merchant: Merchant
    categories: tuple[str, ...]
    title_style: str
    url_style: str
    price_ending: Decimal


@dataclass(frozen=True)
class CatalogItem:
    """A product before any merchant offers it."""

    serial: int
    department: Department
    brand: str
    model: str
    kind: str
    feature: str
    colour: str
    gtin: str | None
    usd_price: Decimal
    rating_tenths: int | None
    popularity: int

    @property
    def product_key(self) -> str:
        return fold(f"{self.brand} {self.model}")


def slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", fold(text)))


def gtin_check_digit(body: str) -> int:
    """GS1 check digit: weights 3 and 1 alternate leftwards from the digit next to it."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def mostly_low(rng: Random) -> float:
    """A number in [0, 1) skewed towards 0 (plain multiplication, identical on every platform)."""
    uniform = rng.random()
    return uniform * uniform


def quarter_percent(rng: Random, low: int, high: int) -> Decimal:
    """A rate between low/4 and high/4 percent, in quarter steps."""
    return cents(Decimal(rng.randint(low, high)) / 4)


# ---------------------------------------------------------------- merchants


def storefront(name: str, categories: tuple[str, ...], currency: str, rng: Random) -> Storefront:
    sold = categories or CATEGORIES
    default_rate = quarter_percent(rng, 4, 32)
    merchant = Merchant(
        merchant_id="m_" + slug(name).replace("-", "_"),
        name=name,
        domain=f"{slug(name)}.example",
        subid_param=rng.choice(SUBID_PARAMS),
        currency=currency,
        default_cashback_rate=default_rate,
        category_rates=category_rates(sold, default_rate, rng),
    )
    return Storefront(
        merchant=merchant,
        categories=sold,
        title_style=rng.choice(TITLE_STYLES),
        url_style=rng.choice(URL_STYLES),
        price_ending=rng.choice(PRICE_ENDINGS),
    )


def category_rates(sold: tuple[str, ...], default_rate: Decimal, rng: Random) -> dict[str, Decimal]:
    """Up to three categories where the merchant pays a different rate than its default."""
    rates = {}
    for category in sorted(rng.sample(sold, rng.randint(0, min(3, len(sold))))):
        rate = default_rate
        while rate == default_rate:
            rate = quarter_percent(rng, 2, 48)
        rates[category] = rate
    return rates


# ---------------------------------------------------------------- products


class ItemFactory:
    """Makes distinct products: a unique brand + model each, a unique GTIN per brand prefix."""

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self._used_keys: set[str] = set()
        self._gtin_prefixes: dict[str, str] = {}
        self._next_item_number: dict[str, int] = {}
        self._serial = 0

    def make(self) -> CatalogItem:
        rng = self._rng
        department = rng.choice(DEPARTMENTS)
        brand = rng.choice(department.brands)
        kind, low, high = rng.choice(department.kinds)
        self._serial += 1
        return CatalogItem(
            serial=self._serial,
            department=department,
            brand=brand,
            model=self._unused_model(brand, department),
            kind=kind,
            feature=rng.choice(department.features),
            colour=rng.choice(department.colours),
            gtin=self._next_gtin(brand) if rng.random() < GTIN_SHARE else None,
            usd_price=Decimal(low + int((high - low) * mostly_low(rng))),
            rating_tenths=None if rng.random() < UNRATED_SHARE else rng.randint(30, 49),
            popularity=int(4000 * mostly_low(rng) * rng.random()),
        )

    def _unused_model(self, brand: str, department: Department) -> str:
        while True:
            model = self._model_name(brand, department)
            key = fold(f"{brand} {model}")
            if key not in self._used_keys:
                self._used_keys.add(key)
                return model

    def _model_name(self, brand: str, department: Department) -> str:
        rng = self._rng
        if rng.random() < 0.3:
            return f"{brand[:2].upper()}-{rng.randint(10, 999)}{rng.choice(('', 'X', 'S', 'R', 'N'))}"
        number = rng.randint(1, 30) if rng.random() < 0.5 else rng.randint(1, 9) * 100 + rng.choice((0, 0, 50))
        return f"{rng.choice(department.series)} {number}{rng.choice(MODEL_SUFFIXES)}"

    def _next_gtin(self, brand: str) -> str:
        if brand not in self._gtin_prefixes:
            self._gtin_prefixes[brand] = self._unused_prefix()
            self._next_item_number[brand] = self._rng.randint(100, 9000)
        number = self._next_item_number[brand]
        self._next_item_number[brand] = number + self._rng.randint(1, 9)
        body = f"{self._gtin_prefixes[brand]}{number:05d}"
        return body + str(gtin_check_digit(body))

    def _unused_prefix(self) -> str:
        taken = set(self._gtin_prefixes.values())
        while True:
            prefix = f"{self._rng.choice(GS1_PREFIXES)}{self._rng.randint(0, 9999):04d}"
            if prefix not in taken:
                return prefix


def offer(item: CatalogItem, store: Storefront, rng: Random) -> Product:
    merchant = store.merchant
    category = item.department.category
    sku = f"{item.serial:06d}"
    words = {
        "brand": item.brand,
        "brand_upper": item.brand.upper(),
        "model": item.model,
        "kind": item.kind,
        "feature": item.feature,
        "colour": item.colour,
    }
    link = {"domain": merchant.domain, "sku": sku, "slug": slug(f"{item.brand} {item.model} {item.kind}")}
    return Product(
        product_id=f"{merchant.merchant_id}-{sku}",
        product_key=item.product_key,
        gtin=item.gtin,
        title=store.title_style.format(**words),
        brand=item.brand,
        model=item.model,
        category=category,
        merchant_id=merchant.merchant_id,
        price=price(item.usd_price, store, rng),
        currency=merchant.currency,
        rating=rating(item, rng),
        review_count=0 if item.rating_tenths is None else item.popularity * rng.randint(5, 15) // 10,
        in_stock=rng.random() < IN_STOCK_SHARE,
        url=store.url_style.format(category=category, colour=slug(item.colour), **link),
        cashback_rate=merchant.rate_for(category),
    )


def price(usd_price: Decimal, store: Storefront, rng: Random) -> Decimal:
    """The merchant's price: the list price moved by up to -15/+10 %, in its currency, its usual cents."""
    moved = usd_price * (100 + rng.randint(-15, 10)) / 100 * USD_TO[store.merchant.currency]
    whole = max(moved.to_integral_value(rounding=ROUND_HALF_UP), Decimal(1))
    return cents(whole - store.price_ending)


def rating(item: CatalogItem, rng: Random) -> Decimal | None:
    if item.rating_tenths is None:
        return None
    tenths = min(50, max(10, item.rating_tenths + rng.randint(-2, 2)))
    return Decimal(tenths).scaleb(-1)


def sellers(item: CatalogItem, stores: list[Storefront], rng: Random, remaining: int) -> list[Storefront]:
    eligible = [s for s in stores if item.department.category in s.categories]
    counts = list(MERCHANTS_PER_PRODUCT)
    count = rng.choices(counts, weights=[MERCHANTS_PER_PRODUCT[c] for c in counts])[0]
    return rng.sample(eligible, min(count, remaining, len(eligible)))


# ---------------------------------------------------------------- the catalog


def generate(seed: int = DEFAULT_SEED, products: int = DEFAULT_PRODUCTS) -> tuple[list[Merchant], list[Product]]:
    """The merchants and exactly `products` offers for this seed."""
    rng = Random(seed)  # noqa: S311 - a reproducible catalog, not a secret
    stores = [storefront(name, categories, currency, rng) for name, categories, currency in SHOPS]
    items = ItemFactory(rng)
    offers: list[Product] = []
    while len(offers) < products:
        item = items.make()
        offers += [offer(item, store, rng) for store in sellers(item, stores, rng, products - len(offers))]
    merchants = sorted((s.merchant for s in stores), key=lambda m: m.merchant_id)
    return merchants, offers


def merchants_json(merchants: list[Merchant]) -> bytes:
    document = [m.model_dump(mode="json") for m in merchants]
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def products_jsonl_gz(products: list[Product]) -> bytes:
    """One offer per line, gzipped with a fixed header (no timestamp, no file name)."""
    lines = "".join(p.model_dump_json(exclude_none=True) + "\n" for p in products)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="", compresslevel=9) as archive:
        archive.write(lines.encode())
    return buffer.getvalue()


def write(out_dir: Path, merchants: list[Merchant], products: list[Product]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "merchants.json").write_bytes(merchants_json(merchants))
    (out_dir / "products.jsonl.gz").write_bytes(products_jsonl_gz(products))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS, help="number of offers")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    merchants, products = generate(args.seed, args.products)
    write(args.out, merchants, products)
    print(f"wrote {len(merchants)} merchants and {len(products)} offers to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
