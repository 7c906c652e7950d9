"""Charge an order's amount (a stand-in for a payment API) and return a receipt."""


def handler(event, context):
    return {
        "orderId": event["orderId"],
        "charged": event["amount"],
        "currency": event["currency"],
        "status": "CHARGED",
    }
