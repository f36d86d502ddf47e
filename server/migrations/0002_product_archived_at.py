from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Codes became case-free (server/text.py): they are kept in capitals. Two codes that differ only
# in case were always a mistake; if any exist, the unique keys make this migration fail loudly
# rather than merge them.
_CODES_IN_CAPITALS = [
    "UPDATE product SET sku = UPPER(sku)",
    "UPDATE warehouse SET code = UPPER(code)",
    "UPDATE location SET code = UPPER(code) WHERE warehouse_id IS NOT NULL",
    "UPDATE lot SET code = UPPER(code)",
    "UPDATE barcode SET normalized = UPPER(normalized), code = UPPER(code) WHERE kind = 'other'",
]


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Product',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Products archived before the column existed: their last change is the best guess.
        ops.RunSQL("UPDATE product SET archived_at = updated_at WHERE is_archived", reverse_sql=""),
        ops.RunSQL(_CODES_IN_CAPITALS, reverse_sql=""),
    ]
