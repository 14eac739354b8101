"""Content negotiation remembered per request shape, and the big lists' JSON written by orjson."""
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings
from rest_framework.renderers import JSONRenderer


class CachedContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, remembered per (renderer classes, ``format`` parameter, ``Accept`` header):
    the same inputs always select the same renderer and media type, and parsing the header and matching it
    against each renderer costs more than the rest of a small list's view code. A request DRF refuses
    (unknown format, nothing acceptable) is never remembered: it raises every time."""

    LIMIT = 512
    _choices: dict = {}

    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (tuple(type(renderer) for renderer in renderers), format, request.META.get("HTTP_ACCEPT", "*/*"))
        known = self._choices.get(key)
        if known is not None:
            return renderers[known[0]], known[1]
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        index = next((i for i, candidate in enumerate(renderers) if candidate is renderer), None)
        if index is not None:
            if len(self._choices) >= self.LIMIT:
                self._choices.clear()
            self._choices[key] = (index, media_type)
        return renderer, media_type


def _not_plain(value):
    raise TypeError(type(value).__name__)


def _orjson_options():
    try:
        import orjson
    except ImportError:
        return 0
    # Dates, times, dataclasses and subclasses of str/int/dict/list go to ``default`` (refused) instead of
    # orjson's own format: DRF's encoder may write them differently.
    return orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


_ORJSON_OPTIONS = _orjson_options()


class RowJSONRenderer(JSONRenderer):
    """DRF's ``JSONRenderer`` output written by orjson (~10× faster), for row lists whose values are only
    ``str``, ``int``, ``bool`` and ``None`` (``RowPlan.plain_output``): for those, and with DRF's default
    settings (compact, unicode), orjson writes the same bytes as ``json.dumps`` (tested). Anything else — an
    indent asked for in the ``Accept`` header, other settings, a value orjson would write its own way (a
    date, a ``str`` subclass, an integer beyond 64 bits) — is rendered by DRF's renderer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        import orjson

        if data is None or not (api_settings.UNICODE_JSON and api_settings.COMPACT_JSON) \
                or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_not_plain, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: a value it would not write as json.dumps does
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: U+2028 and U+2029 escaped, so the JSON is also valid JavaScript.
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
