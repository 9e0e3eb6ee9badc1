"""Citation formats for content negotiation: BibTeX, RIS and CSL-JSON.

A view that supports them hands the renderer a list of papers (not serialized data) and names the download
with ``citation_filename``. The text comes from the one exporter (``papers.citations.bibtex_export``) and the
shared formatters (``papers.citations``), the same ones the web pages use.
"""

from rest_framework.renderers import BaseRenderer


class CitationRenderer(BaseRenderer):
    charset = "utf-8"
    extension = ""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        papers = data if data is not None else []  # a QuerySet lets the exporter use values()
        response = renderer_context.get("response")
        view = renderer_context.get("view")
        if response is not None and response.status_code < 400:
            stem = getattr(view, "citation_filename", "") or "papers"
            response["Content-Disposition"] = f'attachment; filename="{stem}{self.extension}"'
        # An empty body would lose its Content-Type in DRF; an empty .bib or .ris is one newline.
        return (self.export(papers) or "\n").encode(self.charset)

    def export(self, papers) -> str:
        raise NotImplementedError


class BibtexRenderer(CitationRenderer):
    media_type = "application/x-bibtex"
    format = "bibtex"
    extension = ".bib"

    def export(self, papers) -> str:
        from papers.citations import bibtex_export

        return bibtex_export(papers=papers)


class RisRenderer(CitationRenderer):
    media_type = "application/x-research-info-systems"
    format = "ris"
    extension = ".ris"

    def export(self, papers) -> str:
        from papers.citations import papers_ris

        return papers_ris(papers=papers)


class CslJsonRenderer(CitationRenderer):
    media_type = "application/vnd.citationstyles.csl+json"
    format = "csljson"
    extension = ".json"

    def export(self, papers) -> str:
        from papers.citations import papers_csl_json

        return papers_csl_json(papers=papers)


CITATION_RENDERERS = (BibtexRenderer, RisRenderer, CslJsonRenderer)
