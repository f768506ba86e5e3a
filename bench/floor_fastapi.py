"""FastAPI + Mangum, the other common floor (bench.foundation's cold starts): one validated route."""

from fastapi import FastAPI
from mangum import Mangum
from pydantic import BaseModel

api = FastAPI()


class Health(BaseModel):
    status: str


@api.get("/health")
def health() -> Health:
    return Health(status="ok")


lambda_handler = Mangum(api, lifespan="off")
