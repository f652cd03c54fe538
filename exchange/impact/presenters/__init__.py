"""What the statistics pages and the report documents show, made from the selectors'
figures: labels in the reader's language (``labels``), the dashboard's headline figures,
charts and tables (``dashboard``, drawn by ``charts`` as inline SVG), the open-data page
(``open_data``) and the annual report as the renderers lay it out (``reports``)."""
