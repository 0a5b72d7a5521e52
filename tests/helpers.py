"""Small helpers for tests: build inputs from text without touching disk."""

from loyalty.pipeline import InputFile, build_features, load_dataset


def csv_input(text: str, name: str = "orders.csv", encoding: str = "utf-8", **kw) -> InputFile:
    """An InputFile from CSV text."""
    return InputFile(name=name, data=text.encode(encoding), **kw)


def features_of(*files: InputFile, as_of=None, window_days: int = 365, today=None):
    """Load inputs and build features; returns (dataset, features)."""
    ds = load_dataset(list(files), today=today)
    return ds, build_features(ds, as_of=as_of, window_days=window_days)


def rfm_equal():
    """The BtoC preset with R, F and M only, equally weighted (the classic RFM total)."""
    from loyalty import definition as defn

    d = defn.preset("b2c")
    d.factors = [defn.FactorSetting("recency", 33.34), defn.FactorSetting("frequency", 33.33),
                 defn.FactorSetting("monetary", 33.33)]
    return d
