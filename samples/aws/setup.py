"""Prepare the AWS the order workflow talks to: run with ``aslrun run ... --aws-setup samples/aws/setup.py``.

``setup(session)`` gets a boto3 Session bound to the run's ``--aws`` target (by default the embedded
AWS in the aslrun process), so the same file prepares a moto server or LocalStack too.
"""


def setup(session):
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName="Inventory",
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for sku, stock, price in (("BOOK-1", 10, "12.50"), ("MUG-7", 5, "15.00")):
        dynamodb.put_item(TableName="Inventory",
                          Item={"sku": {"S": sku}, "stock": {"N": str(stock)}, "price": {"N": price}})
    session.client("sqs").create_queue(QueueName="warehouse")
    session.client("sns").create_topic(Name="order-updates")
    # an order placed before: submitting A-0999 again is caught as DynamoDB.ConditionalCheckFailedException
    dynamodb.put_item(TableName="Orders", Item={"orderId": {"S": "A-0999"}, "status": {"S": "SHIPPED"}})
