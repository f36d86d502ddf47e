from tortoise import migrations
from tortoise.migrations import operations as ops

# Written by hand, never regenerated. Limits set on zones before 0009 added location.limits_above were
# accepted but not enforced: mark every location under a location with limits, so postings check them.


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0009_counts')]

    initial = False

    operations = [
        ops.RunSQL(
            'UPDATE "location" SET "limits_above" = TRUE WHERE EXISTS (SELECT 1 FROM "location" AS "above"'
            ' WHERE "above"."id" <> "location"."id" AND "location"."path" LIKE "above"."path" || \'%\''
            ' AND ("above"."max_units" IS NOT NULL OR "above"."max_weight_kg" IS NOT NULL'
            ' OR "above"."mixing" <> \'mixed\'))',
            reverse_sql='UPDATE "location" SET "limits_above" = FALSE',
        ),
    ]
