"""Check an order: every item has a positive quantity and a price; return whether it is valid and its total."""


def handler(event, context):
    items = event.get("items") or []
    valid = bool(items) and all(item.get("quantity", 0) > 0 and "price" in item for item in items)
    total = sum(item["quantity"] * item["price"] for item in items) if valid else 0
    return {"valid": valid, "total": round(total, 2)}
