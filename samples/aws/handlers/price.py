"""The ``PriceOrder`` Lambda function of the order workflow: prices an order from what DynamoDB holds.

It reads the order that the ``RecordOrder`` Task stored (``dynamodb:putItem``) and each item's price from
the ``Inventory`` table that ``setup.py`` filled, with boto3 as on Lambda. Run locally by
``aslrun run ... --lambda PriceOrder=samples/aws/handlers/price.py:handler``: its AWS calls go to the
same AWS as the workflow's (the embedded one by default, through ``AWS_ENDPOINT_URL``).
"""

import json
import os
from decimal import Decimal

import boto3

ORDERS = os.environ.get("ORDERS_TABLE", "Orders")
INVENTORY = os.environ.get("INVENTORY_TABLE", "Inventory")

dynamodb = boto3.client("dynamodb")  # made once per execution environment, as on Lambda


def handler(event, context):
    order = dynamodb.get_item(TableName=ORDERS, Key={"orderId": {"S": event["orderId"]}})["Item"]
    total = Decimal(0)
    for item in json.loads(order["items"]["S"]):
        stock = dynamodb.get_item(TableName=INVENTORY, Key={"sku": {"S": item["sku"]}})["Item"]
        total += Decimal(stock["price"]["N"]) * item["quantity"]
    return {"orderId": event["orderId"], "total": float(total)}
