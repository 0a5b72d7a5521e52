"""Small helpers for tests: build inputs from text without touching disk."""

from loyalty.pipeline import InputFile, build_features, load_dataset


def csv_input(text: str, name: str = "orders.csv", encoding: str = "utf-8", **kw) -> InputFile:
    """An InputFile from CSV text."""
    return InputFile(name=name, data=text.encode(encoding), **kw)


def features_of(*files: InputFile, as_of=None, window_days: int = 365, today=None):
    """Load inputs and build features; returns (dataset, features)."""
    ds = load_dataset(list(files), today=today)
    return ds, build_features(ds, as_of=as_of, window_days=window_days)
