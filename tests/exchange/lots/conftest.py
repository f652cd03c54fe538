import io

from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(640, 480), color=(200, 120, 40), **save_kwargs) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save_kwargs)
    return out.getvalue()
