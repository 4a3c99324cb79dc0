"""attnplot: figures from attnbench result CSVs.

    schema.py      the CSV schema (schema/columns.json) and loading: load_csv, Dataset
    selection.py   which rows a figure draws; panels, series, shapes, machines
    style.py       colours, line styles, axes, legends, titles (selects the Agg backend)
    prefill.py     time, memory and speed-up vs prefill length
    throughput.py  GFLOP/s vs prefill length; fused vs flash2 (composition cost)
    decode.py      decode time vs KV length
    maxlen.py      maximum sequence length
    blocks.py      block-size heatmaps
    peerdata.py    peer rows beside attnbench's: implementation, element type, median per round
    peerfigure.py  attnbench beside other runtimes (peers.png)
    peertable.py   Markdown summary of the fastest peer and attnbench variant (scripts/peers_table.py)
    layerdata.py   layer rows (sweep --layer): attention's share, its half-way length, speed-ups
    layerfigure.py attention's share of the layer and the layer speed-up (attention_share_vs_seq_len.png,
                   layer_speedup.png)
    layertable.py  Markdown tables of the layer rows (scripts/layer_table.py)
    cli.py         the command line behind scripts/plot.py

Importing the package loads only the schema module (standard library): `load_csv` works
without matplotlib.
"""

from .schema import SCHEMA_PATH, Dataset, InputError, Schema, Skip, current_schema, load_csv

__all__ = ["SCHEMA_PATH", "Dataset", "InputError", "Schema", "Skip", "current_schema", "load_csv"]
